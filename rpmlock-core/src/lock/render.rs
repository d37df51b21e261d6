//! Rendering a lockfile byte for byte as rpm-lockfile-prototype writes it.
//!
//! The prototype ends with `yaml.dump(data, f, sort_keys=False, explicit_start=True)`
//! (PyYAML's pure-Python `Dumper`, default `width` 80, `indent` 2, no `allow_unicode`,
//! block style). This module is a port of the parts of PyYAML's emitter that such a
//! document reaches: block mappings and sequences (sequences inside mappings are
//! "indentless"), `[]` for empty lists, and for every string PyYAML's choice between
//! plain, single-quoted and double-quoted style — `analyze_scalar` plus the YAML 1.1
//! implicit resolvers (a string that would read back as a bool, int, float, null,
//! timestamp, merge or value is quoted) — with the scalar writers' line folding at
//! column 80 and escapes, so even strings with spaces, line breaks or non-ASCII
//! characters come out as PyYAML writes them.

use super::{ArchLock, LockedPackage, Lockfile, ModuleMetadata};

/// A node of the document to emit.
enum Node<'a> {
    Str(&'a str),
    Int(u64),
    Seq(Vec<Node<'a>>),
    Map(Vec<(&'static str, Node<'a>)>),
}

impl Lockfile {
    /// The lockfile as the prototype writes it: normalized (see [`Lockfile::normalize`])
    /// and rendered as PyYAML's `yaml.dump(data, sort_keys=False, explicit_start=True)`.
    ///
    /// ```
    /// use rpmlock_core::lock::{ArchLock, Lockfile};
    /// let mut lock = Lockfile::default();
    /// lock.arches.push(ArchLock::new("x86_64"));
    /// assert_eq!(
    ///     lock.render(),
    ///     "---\nlockfileVersion: 1\nlockfileVendor: redhat\narches:\n- arch: x86_64\n  packages: []\n  source: []\n  module_metadata: []\n"
    /// );
    /// ```
    pub fn render(&self) -> String {
        // A lockfile is usually normalized already (a resolved one always is): no
        // copy to sort then.
        let copy;
        let lock = if self.is_normalized() {
            self
        } else {
            let mut c = self.clone();
            c.normalize();
            copy = c;
            &copy
        };
        let doc = Node::Map(vec![
            ("lockfileVersion", Node::Int(1)),
            ("lockfileVendor", Node::Str("redhat")),
            (
                "arches",
                Node::Seq(lock.arches.iter().map(arch_node).collect()),
            ),
        ]);
        let mut e = Emitter::new();
        e.document(&doc);
        e.out
    }
}

fn arch_node(arch: &ArchLock) -> Node<'_> {
    Node::Map(vec![
        ("arch", Node::Str(&arch.arch)),
        (
            "packages",
            Node::Seq(arch.packages.iter().map(package_node).collect()),
        ),
        (
            "source",
            Node::Seq(arch.source.iter().map(package_node).collect()),
        ),
        (
            "module_metadata",
            Node::Seq(arch.module_metadata.iter().map(module_node).collect()),
        ),
    ])
}

fn package_node(p: &LockedPackage) -> Node<'_> {
    let mut fields = vec![
        ("url", Node::Str(&p.url)),
        ("repoid", Node::Str(&p.repoid)),
        ("size", Node::Int(p.size)),
        ("checksum", Node::Str(&p.checksum)),
        ("name", Node::Str(&p.name)),
        ("evr", Node::Str(&p.evr)),
    ];
    // The prototype drops a falsy sourcerpm (None or "").
    if let Some(s) = p.sourcerpm.as_deref().filter(|s| !s.is_empty()) {
        fields.push(("sourcerpm", Node::Str(s)));
    }
    Node::Map(fields)
}

fn module_node(m: &ModuleMetadata) -> Node<'_> {
    Node::Map(vec![
        ("url", Node::Str(&m.url)),
        ("repoid", Node::Str(&m.repoid)),
        ("size", Node::Int(m.size)),
        ("checksum", Node::Str(&m.checksum)),
    ])
}

/// PyYAML's `best_width`.
const BEST_WIDTH: usize = 80;
/// PyYAML's `best_indent`.
const BEST_INDENT: usize = 2;

/// The state of PyYAML's `Emitter` that block-style output depends on.
struct Emitter {
    out: String,
    /// Current column, in characters.
    column: usize,
    /// The last character written was white space (or nothing was written).
    whitespace: bool,
    /// The current line holds only indentation (and indicators written with
    /// `indention`).
    indention: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    mapping_context: bool,
    simple_key_context: bool,
}

impl Emitter {
    fn new() -> Self {
        Emitter {
            out: String::new(),
            column: 0,
            whitespace: true,
            indention: true,
            indent: None,
            indents: Vec::new(),
            mapping_context: false,
            simple_key_context: false,
        }
    }

    /// `--- ` + root node + document end (no `...`).
    fn document(&mut self, root: &Node<'_>) {
        self.write_indent();
        self.write_indicator("---", true, false, false);
        self.node(root, false, false);
        self.write_indent();
    }

    fn node(&mut self, node: &Node<'_>, mapping: bool, simple_key: bool) {
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match node {
            Node::Str(s) => self.scalar(s, !resolves_to_non_str(s)),
            Node::Int(i) => self.scalar(&i.to_string(), true),
            Node::Seq(items) if items.is_empty() => {
                self.write_indicator("[", true, true, false);
                self.write_indicator("]", false, false, false);
            }
            Node::Map(entries) if entries.is_empty() => {
                self.write_indicator("{", true, true, false);
                self.write_indicator("}", false, false, false);
            }
            Node::Seq(items) => {
                let indentless = self.mapping_context && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, false, false);
                }
                self.indent = self.indents.pop().flatten();
            }
            Node::Map(entries) => {
                self.increase_indent(false, false);
                for (key, value) in entries {
                    self.write_indent();
                    self.node(&Node::Str(key), true, true);
                    self.write_indicator(":", false, false, false);
                    self.node(value, true, false);
                }
                self.indent = self.indents.pop().flatten();
            }
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None if flow => Some(BEST_INDENT),
            None => Some(0),
            Some(i) if !indentless => Some(i + BEST_INDENT),
            Some(i) => Some(i),
        };
    }

    /// `expect_scalar` + `choose_scalar_style` + `process_scalar` (block context, no
    /// explicit style). `implicit_plain`: the plain text reads back as this scalar.
    fn scalar(&mut self, text: &str, implicit_plain: bool) {
        self.increase_indent(true, false);
        let a = analyze_scalar(text);
        let simple_key = self.simple_key_context;
        let style =
            if implicit_plain && !(simple_key && (a.empty || a.multiline)) && a.allow_block_plain {
                Style::Plain
            } else if a.allow_single_quoted && !(simple_key && a.multiline) {
                Style::Single
            } else {
                Style::Double
            };
        let split = !simple_key;
        match style {
            Style::Plain => self.write_plain(text, split),
            Style::Single => self.write_single_quoted(text, split),
            Style::Double => self.write_double_quoted(text, split),
        }
        self.indent = self.indents.pop().flatten();
    }

    fn write(&mut self, data: &str) {
        self.column += data.chars().count();
        self.out.push_str(data);
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if !self.whitespace && need_whitespace {
            self.write(" ");
        }
        self.write(indicator);
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = " ".repeat(indent - self.column);
            self.write(&pad);
        }
    }

    fn write_line_break(&mut self, data: Option<char>) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push(data.unwrap_or('\n'));
    }

    fn write_plain(&mut self, text: &str, split: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(" ");
        }
        self.whitespace = false;
        self.indention = false;
        // Without spaces or line breaks the loop below writes the text in one piece.
        if !text.contains([' ', '\n', '\u{85}', '\u{2028}', '\u{2029}']) {
            self.write(text);
            return;
        }
        let chars: Vec<char> = text.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        let (mut start, mut end) = (0, 0);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write(&collect(&chars[start..end]));
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    if chars[start] == '\n' {
                        self.write_line_break(None);
                    }
                    for &br in &chars[start..end] {
                        self.write_line_break(Some(br));
                    }
                    self.write_indent();
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                self.write(&collect(&chars[start..end]));
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
    }

    fn write_single_quoted(&mut self, text: &str, split: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        let (mut start, mut end) = (0, 0);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != chars.len()
                    {
                        self.write_indent();
                    } else {
                        self.write(&collect(&chars[start..end]));
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    if chars[start] == '\n' {
                        self.write_line_break(None);
                    }
                    for &br in &chars[start..end] {
                        self.write_line_break(Some(br));
                    }
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || c == '\'' || is_break(c)) && start < end {
                self.write(&collect(&chars[start..end]));
                start = end;
            }
            if ch == Some('\'') {
                self.write("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &str, split: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let (mut start, mut end) = (0, 0);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            let needs_escape = match ch {
                None => true,
                // allow_unicode is off: everything but printable ASCII is escaped.
                Some(c) => matches!(c, '"' | '\\') || !(' '..='~').contains(&c),
            };
            if needs_escape {
                if start < end {
                    self.write(&collect(&chars[start..end]));
                    start = end;
                }
                if let Some(c) = ch {
                    let data = match escape_replacement(c) {
                        Some(r) => format!("\\{r}"),
                        None if (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
                        None if (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
                        None => format!("\\U{:08X}", c as u32),
                    };
                    self.write(&data);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < chars.len()
                && (ch == Some(' ') || start >= end)
                // `end - start` is -1 right after an escape, as in Python.
                && self.column as isize + end as isize - start as isize > BEST_WIDTH as isize
                && split
            {
                let mut data = collect(&chars[start.min(end)..end]);
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if chars[start] == ' ' {
                    self.write("\\");
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
    }
}

enum Style {
    Plain,
    Single,
    Double,
}

fn collect(chars: &[char]) -> String {
    chars.iter().collect()
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// PyYAML's `ESCAPE_REPLACEMENTS`.
fn escape_replacement(c: char) -> Option<char> {
    Some(match c {
        '\0' => '0',
        '\x07' => 'a',
        '\x08' => 'b',
        '\t' => 't',
        '\n' => 'n',
        '\x0B' => 'v',
        '\x0C' => 'f',
        '\r' => 'r',
        '\x1B' => 'e',
        '"' => '"',
        '\\' => '\\',
        '\u{85}' => 'N',
        '\u{A0}' => '_',
        '\u{2028}' => 'L',
        '\u{2029}' => 'P',
        _ => return None,
    })
}

/// The parts of PyYAML's `ScalarAnalysis` that block-context emission uses.
#[derive(Debug, PartialEq, Eq)]
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

/// PyYAML's `Emitter.analyze_scalar` with `allow_unicode` off.
fn analyze_scalar(scalar: &str) -> Analysis {
    if scalar.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    // An ASCII string's bytes are its characters: no need to decode them.
    if scalar.is_ascii() {
        analyze_chars(scalar, scalar.as_bytes())
    } else {
        analyze_chars(scalar, &scalar.chars().collect::<Vec<char>>())
    }
}

/// [`analyze_scalar`] of the non-empty `scalar`, whose characters are `chars`.
fn analyze_chars<C: Copy + Into<char>>(scalar: &str, chars: &[C]) -> Analysis {
    let is_ws = |c: char| {
        matches!(
            c,
            '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
        )
    };
    let mut block_indicators = scalar.starts_with("---") || scalar.starts_with("...");
    let mut line_breaks = false;
    let mut special_characters = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let mut followed_by_whitespace = chars.len() == 1 || is_ws(chars[1].into());
    let (mut previous_space, mut previous_break) = (false, false);
    let last = chars.len() - 1;
    for (index, &ch) in chars.iter().enumerate() {
        let ch: char = ch.into();
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                block_indicators = true;
            }
            if (ch == '?' || ch == ':' || ch == '-') && followed_by_whitespace {
                block_indicators = true;
            }
        } else {
            if ch == ':' && followed_by_whitespace {
                block_indicators = true;
            }
            if ch == '#' && preceded_by_whitespace {
                block_indicators = true;
            }
        }
        if is_break(ch) {
            line_breaks = true;
        }
        // Without allow_unicode, anything but '\n' and printable ASCII is special.
        if !(ch == '\n' || (' '..='~').contains(&ch)) {
            special_characters = true;
        }
        if ch == ' ' {
            if index == 0 {
                leading_space = true;
            }
            if index == last {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            if index == 0 {
                leading_break = true;
            }
            if index == last {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_ws(ch);
        followed_by_whitespace = index + 2 >= chars.len() || is_ws(chars[index + 2].into());
    }
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_block_plain = false;
    }
    if break_space {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special_characters {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks || block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_block_plain,
        allow_single_quoted,
    }
}

/// Whether PyYAML's YAML 1.1 implicit resolvers give the plain scalar `s` a tag other
/// than `str` (bool, int, float, null, timestamp, merge, value, yaml), i.e. whether a
/// string `s` must be quoted to read back as a string.
fn resolves_to_non_str(s: &str) -> bool {
    // Python's `$` also matches before a final "\n"; such strings are never plain
    // (trailing break), so the difference cannot show.
    is_bool(s)
        || is_null(s)
        || is_int(s)
        || is_float(s)
        || is_timestamp(s)
        || matches!(s, "<<" | "=" | "!" | "&" | "*")
}

fn is_bool(s: &str) -> bool {
    matches!(
        s,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

fn strip_sign(s: &str) -> &str {
    s.strip_prefix(['-', '+']).unwrap_or(s)
}

/// `[0-9]` then `[0-9_]*` with the first character in `first`; returns the rest.
fn digits_run(s: &str, first: impl Fn(u8) -> bool) -> Option<&str> {
    let b = s.as_bytes();
    if !b.first().is_some_and(|&c| first(c)) {
        return None;
    }
    let n = 1 + b[1..]
        .iter()
        .take_while(|&&c| c.is_ascii_digit() || c == b'_')
        .count();
    Some(&s[n..])
}

/// `(?::[0-5]?[0-9])+` matching all of `s`.
fn is_sexagesimal_tail(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(':') else {
        return false;
    };
    rest.split(':').all(|part| {
        let b = part.as_bytes();
        match b {
            [d] => d.is_ascii_digit(),
            [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
            _ => false,
        }
    })
}

fn all_bytes(s: &str, f: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(f)
}

/// PyYAML's int resolver:
/// `[-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ |
/// [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+`.
fn is_int(s: &str) -> bool {
    let u = strip_sign(s);
    let binary = u
        .strip_prefix("0b")
        .is_some_and(|r| !r.is_empty() && all_bytes(r, |c| c == b'0' || c == b'1' || c == b'_'));
    let hex = u
        .strip_prefix("0x")
        .is_some_and(|r| !r.is_empty() && all_bytes(r, |c| c.is_ascii_hexdigit() || c == b'_'));
    // "0" itself, or octal.
    let octal = u
        .strip_prefix('0')
        .is_some_and(|r| r.is_empty() || all_bytes(r, |c| (b'0'..=b'7').contains(&c) || c == b'_'));
    let decimal_or_base60 = digits_run(u, |c| (b'1'..=b'9').contains(&c))
        .is_some_and(|rest| rest.is_empty() || is_sexagesimal_tail(rest));
    binary || hex || octal || decimal_or_base60
}

/// `(?:[eE][-+][0-9]+)?` matching all of `s`.
fn is_opt_exponent(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let b = s.as_bytes();
    b.len() >= 3
        && matches!(b[0], b'e' | b'E')
        && matches!(b[1], b'-' | b'+')
        && b[2..].iter().all(u8::is_ascii_digit)
}

/// PyYAML's float resolver:
/// `[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)? | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)? |
/// [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)`.
fn is_float(s: &str) -> bool {
    let frac_exp = |r: &str| {
        let n = r
            .bytes()
            .take_while(|&c| c.is_ascii_digit() || c == b'_')
            .count();
        is_opt_exponent(&r[n..])
    };
    let u = strip_sign(s);
    let signed = digits_run(u, |c| c.is_ascii_digit()).is_some_and(|rest| {
        rest.strip_prefix('.').is_some_and(frac_exp)
            // Base 60: the tail up to the first '.' is sexagesimal, the rest `[0-9_]*`.
            || rest.split_once('.').is_some_and(|(sexa, frac)| {
                is_sexagesimal_tail(sexa) && all_bytes(frac, |c| c.is_ascii_digit() || c == b'_')
            })
    });
    let leading_dot = s
        .strip_prefix('.')
        .and_then(|r| digits_run(r, |c| c.is_ascii_digit()))
        .is_some_and(is_opt_exponent);
    signed
        || leading_dot
        || matches!(u, ".inf" | ".Inf" | ".INF")
        || matches!(s, ".nan" | ".NaN" | ".NAN")
}

/// PyYAML's timestamp resolver:
/// `[0-9]{4}-[0-9]{2}-[0-9]{2} | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:
/// [0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    // Consumes between `min` and `max` ASCII digits.
    let digits = |i: &mut usize, min: usize, max: usize| -> bool {
        let n = b[*i..]
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_digit())
            .count();
        *i += n;
        n >= min
    };
    let byte = |i: &mut usize, want: u8| -> bool {
        if b.get(*i) == Some(&want) {
            *i += 1;
            true
        } else {
            false
        }
    };
    if !(digits(&mut i, 4, 4) && byte(&mut i, b'-')) {
        return false;
    }
    // Date only: exactly two digits each.
    if b.len() == 10
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
    {
        return true;
    }
    if !(digits(&mut i, 1, 2) && byte(&mut i, b'-') && digits(&mut i, 1, 2)) {
        return false;
    }
    // (?:[Tt]|[ \t]+)
    if matches!(b.get(i), Some(b'T' | b't')) {
        i += 1;
    } else {
        let n = b[i..]
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        if n == 0 {
            return false;
        }
        i += n;
    }
    if !(digits(&mut i, 1, 2)
        && byte(&mut i, b':')
        && digits(&mut i, 2, 2)
        && byte(&mut i, b':')
        && digits(&mut i, 2, 2))
    {
        return false;
    }
    if byte(&mut i, b'.') {
        digits(&mut i, 0, usize::MAX);
    }
    if i == b.len() {
        return true;
    }
    // [ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?)
    i += b[i..]
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    if byte(&mut i, b'Z') {
        return i == b.len();
    }
    if !matches!(b.get(i), Some(b'-' | b'+')) {
        return false;
    }
    i += 1;
    if !digits(&mut i, 1, 2) {
        return false;
    }
    if byte(&mut i, b':') && !digits(&mut i, 2, 2) {
        return false;
    }
    i == b.len()
}

#[cfg(test)]
mod tests;
