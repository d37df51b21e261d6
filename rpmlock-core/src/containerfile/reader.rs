//! A Containerfile's physical lines into instructions (CONTAINERFILE.md A4.2), the way
//! the reference's `dockerfile-parse` reads them, and better where that loses packages.
//!
//! The reference's rules, kept:
//! - directives at the top: `# escape=\` or `` # escape=` `` sets the continuation
//!   character; `# syntax=…` is allowed; the first other line ends the directives;
//! - comment lines (first non-blank `#`) are skipped, also inside a continuation;
//! - an instruction line is a keyword (any case, upper-cased here), whitespace and a
//!   rest, right-stripped, one trailing continuation character removed;
//! - a continuation line is appended with no separator, its leading whitespace kept
//!   (left-stripped only while the value is still empty); a blank line ends the
//!   continuation (so the lines after it become instructions of their own).
//!
//! Deliberate differences (the reference finds nothing in these RUNs):
//! - heredocs (`RUN <<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`, several per line, and
//!   `COPY <<EOF dest`): the body lines belong to the instruction, they are not
//!   instructions themselves. A RUN whose command is only the heredoc, or a shell
//!   (`sh`/`bash`/`/bin/sh`/`/bin/bash`, flags but no `-c`) reading it, has the body as
//!   its shell text (a script, `<<-` tabs stripped); otherwise the shell text is the
//!   command line, then each body and its delimiter line, as the shell reads them;
//! - exec form (`RUN ["dnf", "install", "x"]`): the shell-quoted words, or the script
//!   of `["sh", "-c", SCRIPT]`; malformed JSON is shell form, as for Docker;
//! - BuildKit flags before a RUN's command (`--mount=…`, `--network=none`) are dropped;
//! - the file is opened whatever its name (no "Dockerfile suffix" rule, A4.1).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::{ContainerfileError, LineMap};

/// One instruction of a Containerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instruction {
    /// The keyword, upper-cased (`RUN`, `FROM`, ...).
    pub(crate) keyword: String,
    /// The value: continuation lines joined. For RUN, the shell text to analyse
    /// (flags dropped, heredocs and exec form turned into shell text).
    pub(crate) value: String,
    /// 1-based line of the keyword.
    pub(crate) line: usize,
    /// Offsets of `value` to the physical lines they came from.
    pub(crate) lines: LineMap,
}

/// A Containerfile read into instructions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Document {
    /// The instructions, in file order.
    pub(crate) instructions: Vec<Instruction>,
    /// The 1-based lines that are heredoc bodies (and their delimiter lines).
    pub(crate) heredoc_lines: BTreeSet<usize>,
}

/// Reads the Containerfile at `path`.
pub(crate) fn read(path: &Path) -> Result<Document, ContainerfileError> {
    let text = read_text(path)?;
    Ok(read_str(&text, path))
}

/// The file at `path` as text (invalid UTF-8 replaced, never an error).
pub(crate) fn read_text(path: &Path) -> Result<String, ContainerfileError> {
    let bytes = std::fs::read(path).map_err(|source| ContainerfileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

static ESCAPE_DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*#\s*escape\s*=\s*([\\`])\s*$").expect("valid regex"));
static SYNTAX_DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*#\s*syntax\s*=.*$").expect("valid regex"));
static HEREDOC_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9]*<<(-?)([^<]+)$").expect("valid regex"));
static HEREDOC_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(?:"([A-Za-z_][\w.-]*)"|'([A-Za-z_][\w.-]*)'|([A-Za-z_][\w.-]*))$"#)
        .expect("valid regex")
});
/// A command that runs its stdin as a script: `sh`, `bash`, `/bin/sh`, `/usr/bin/bash`,
/// with option flags (not `-c`) or `-o OPTION`.
static SCRIPT_INTERPRETER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:/usr)?/bin/)?(?:ba)?sh(?:\s+(?:-[abd-zA-Z]+|[-+]o\s+\w+))*$")
        .expect("valid regex")
});

/// The offsets of a text to its physical lines, with slicing (the [`LineMap`] API only
/// grows).
#[derive(Debug, Clone, Default)]
struct Pieces {
    starts: Vec<(usize, usize)>,
}

impl Pieces {
    fn push(&mut self, offset: usize, line: usize) {
        match self.starts.last_mut() {
            Some(last) if last.0 == offset => last.1 = line,
            _ => self.starts.push((offset, line)),
        }
    }

    fn line_at(&self, offset: usize) -> usize {
        let i = self.starts.partition_point(|&(o, _)| o <= offset);
        self.starts.get(i.saturating_sub(1)).map_or(0, |s| s.1)
    }

    /// The pieces of the text from `from` on, rebased to 0, appended to `out` at
    /// offset `at`.
    fn append_slice(&self, from: usize, at: usize, out: &mut Pieces) {
        out.push(at, self.line_at(from));
        for &(o, l) in &self.starts {
            if o > from {
                out.push(at + o - from, l);
            }
        }
    }

    fn to_map(&self, file: &Path, default_line: usize) -> LineMap {
        let mut map = LineMap::new(file, self.starts.first().map_or(default_line, |s| s.1));
        for &(o, l) in self.starts.iter().skip(1) {
            map.push(o, l);
        }
        map
    }
}

/// A physical line: its text without the `\n`, whether a `\n` ended it, its number.
struct Line<'t> {
    text: &'t str,
    newline: bool,
    number: usize,
}

fn physical_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines: Vec<Line<'_>> = text
        .split('\n')
        .enumerate()
        .map(|(i, t)| Line {
            text: t,
            newline: true,
            number: i + 1,
        })
        .collect();
    // The piece after the last `\n` has no newline (and is empty for a file ending
    // in one).
    if let Some(last) = lines.last_mut() {
        last.newline = false;
        if last.text.is_empty() {
            lines.pop();
        }
    }
    lines
}

fn strip_one(s: &str, c: char) -> &str {
    s.strip_suffix(c).unwrap_or(s)
}

/// An instruction being read.
struct Partial {
    keyword: String,
    value: String,
    line: usize,
    pieces: Pieces,
}

/// Reads Containerfile `text` (from `path`, for the line maps) into instructions.
pub(crate) fn read_str(text: &str, path: &Path) -> Document {
    let lines = physical_lines(text);
    let mut doc = Document::default();
    let mut escape = '\\';
    let mut directives = true;
    let mut current: Option<Partial> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        i += 1;
        if directives {
            if let Some(c) = ESCAPE_DIRECTIVE.captures(line.text) {
                escape = if &c[1] == "`" { '`' } else { '\\' };
                continue;
            }
            if SYNTAX_DIRECTIVE.is_match(line.text) {
                continue;
            }
            directives = false;
        }
        if line.text.trim_start().starts_with('#') {
            continue;
        }
        let continues = line.text.trim_end().ends_with(escape);
        let partial = match current.take() {
            Some(mut p) => {
                let mut piece = strip_one(line.text.trim_end(), escape);
                if p.value.is_empty() {
                    piece = piece.trim_start();
                }
                p.pieces.push(p.value.len(), line.number);
                p.value.push_str(piece);
                p
            }
            None => {
                let Some((keyword, rest)) = split_keyword(line) else {
                    continue;
                };
                let mut pieces = Pieces::default();
                pieces.push(0, line.number);
                Partial {
                    keyword: keyword.to_uppercase(),
                    value: strip_one(rest.trim_end(), escape).to_string(),
                    line: line.number,
                    pieces,
                }
            }
        };
        if continues {
            current = Some(partial);
            continue;
        }
        let heredocs = if matches!(partial.keyword.as_str(), "RUN" | "COPY" | "ADD") {
            let markers = heredoc_markers(command_start(&partial), &partial.value);
            read_bodies(markers, &lines, &mut i, &mut doc.heredoc_lines)
        } else {
            Vec::new()
        };
        doc.instructions.push(finish(partial, &heredocs, path));
    }
    if let Some(partial) = current {
        // The file ended inside a continuation: the instruction ends there.
        doc.instructions.push(finish(partial, &[], path));
    }
    doc
}

/// The instruction read into `p`, with its heredocs.
fn finish(mut p: Partial, heredocs: &[Heredoc], path: &Path) -> Instruction {
    if p.keyword == "RUN" {
        run_shell_text(&mut p, heredocs);
    }
    Instruction {
        lines: p.pieces.to_map(path, p.line),
        keyword: p.keyword,
        value: p.value,
        line: p.line,
    }
}

/// The keyword and the rest of an instruction line: optional blanks, a non-blank run,
/// at least one whitespace character (the line's own newline counts), the rest.
fn split_keyword<'t>(line: &Line<'t>) -> Option<(&'t str, &'t str)> {
    let t = line.text.trim_start();
    if t.is_empty() {
        return None;
    }
    match t.find(char::is_whitespace) {
        Some(end) => Some((&t[..end], t[end..].trim_start())),
        None if line.newline => Some((t, "")),
        None => None,
    }
}

/// Where a RUN's command starts: after leading BuildKit flags (`--mount=…`,
/// `--network=none`, `--security=insecure`, any `--word`). Other instructions: 0.
fn command_start(p: &Partial) -> usize {
    if p.keyword != "RUN" {
        return 0;
    }
    let v = &p.value;
    let mut pos = v.len() - v.trim_start().len();
    while v[pos..].starts_with("--") {
        let end = v[pos..]
            .find(char::is_whitespace)
            .map_or(v.len(), |e| pos + e);
        pos = end + (v[end..].len() - v[end..].trim_start().len());
    }
    pos
}

/// A heredoc marker on an instruction line.
#[derive(Debug, Clone)]
struct Marker {
    /// Byte range of the marker word in the value.
    start: usize,
    end: usize,
    delimiter: String,
    /// `<<-`: leading tabs are stripped from the body and the delimiter line.
    strip_tabs: bool,
}

/// A heredoc with its body.
#[derive(Debug, Clone)]
struct Heredoc {
    marker: Marker,
    /// Body lines (without the delimiter line), with their numbers.
    body: Vec<(String, usize)>,
    /// The delimiter line as written, with its number (none at end of file).
    end_line: Option<(String, usize)>,
}

/// The heredoc markers of `value[from..]`: shell words (quotes respected) of the form
/// `[n]<<[-]NAME`, NAME optionally quoted, as BuildKit recognises them.
fn heredoc_markers(from: usize, value: &str) -> Vec<Marker> {
    let mut markers = Vec::new();
    for (start, end) in shell_words(value, from) {
        let word = &value[start..end];
        let Some(c) = HEREDOC_WORD.captures(word) else {
            continue;
        };
        let Some(name) = HEREDOC_NAME.captures(&c[2]) else {
            continue;
        };
        let delimiter = name
            .get(1)
            .or_else(|| name.get(2))
            .or_else(|| name.get(3))
            .map_or("", |m| m.as_str());
        markers.push(Marker {
            start,
            end,
            delimiter: delimiter.to_string(),
            strip_tabs: !c[1].is_empty(),
        });
    }
    markers
}

/// The byte ranges of the shell words of `text[from..]`, split on unquoted blanks
/// (quotes and backslashes respected, never an error).
fn shell_words(text: &str, from: usize) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text[from..].char_indices() {
        let i = i + from;
        if escaped {
            escaped = false;
            continue;
        }
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                }
            }
            None if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    words.push((s, i));
                }
            }
            None => {
                if start.is_none() {
                    start = Some(i);
                }
                match c {
                    '\'' | '"' => quote = Some(c),
                    '\\' => escaped = true,
                    _ => {}
                }
            }
        }
    }
    if let Some(s) = start {
        words.push((s, text.len()));
    }
    words
}

/// Reads the bodies of `markers` from `lines[*next..]`, in order, advancing `*next`
/// past each delimiter line.
fn read_bodies(
    markers: Vec<Marker>,
    lines: &[Line<'_>],
    next: &mut usize,
    body_lines: &mut BTreeSet<usize>,
) -> Vec<Heredoc> {
    let mut heredocs = Vec::new();
    for marker in markers {
        let mut body = Vec::new();
        let mut end_line = None;
        while let Some(line) = lines.get(*next) {
            *next += 1;
            body_lines.insert(line.number);
            let text = line.text.strip_suffix('\r').unwrap_or(line.text);
            let bare = if marker.strip_tabs {
                text.trim_start_matches('\t')
            } else {
                text
            };
            if bare == marker.delimiter {
                end_line = Some((text.to_string(), line.number));
                break;
            }
            body.push((text.to_string(), line.number));
        }
        heredocs.push(Heredoc {
            marker,
            body,
            end_line,
        });
    }
    heredocs
}

/// Turns a RUN's value into the shell text to analyse: flags dropped, then heredocs
/// (a script body, or the command line with the bodies), else the exec form.
fn run_shell_text(p: &mut Partial, heredocs: &[Heredoc]) {
    let from = command_start(p);
    let command = &p.value[from..];
    let mut text = String::new();
    let mut pieces = Pieces::default();
    match heredocs {
        [] => {
            if let Some(script) = exec_form(command) {
                // The JSON text cannot be mapped offset by offset: the whole script
                // is attributed to the line the array starts on.
                pieces.push(0, p.pieces.line_at(from));
                text = script;
            } else {
                p.pieces.append_slice(from, 0, &mut pieces);
                text.push_str(command);
            }
        }
        [only]
            if runs_as_script(
                &p.value[from..only.marker.start],
                &p.value[only.marker.end..],
            ) =>
        {
            pieces.push(0, p.line);
            for (i, (line, number)) in only.body.iter().enumerate() {
                if i > 0 {
                    text.push('\n');
                }
                pieces.push(text.len(), *number);
                let line = if only.marker.strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                text.push_str(line);
            }
        }
        _ => {
            p.pieces.append_slice(from, 0, &mut pieces);
            text.push_str(command);
            for h in heredocs {
                let end = h.end_line.iter().map(|(t, n)| (t, n));
                for (line, number) in h.body.iter().map(|(t, n)| (t, n)).chain(end) {
                    text.push('\n');
                    pieces.push(text.len(), *number);
                    text.push_str(line);
                }
            }
        }
    }
    p.value = text;
    p.pieces = pieces;
}

/// Whether a RUN's only heredoc is its script: the command around the marker is
/// empty, or a shell reading its stdin (`bash -e <<EOF`, `<<EOF bash`).
fn runs_as_script(before: &str, after: &str) -> bool {
    let (before, after) = (before.trim(), after.trim());
    match (before.is_empty(), after.is_empty()) {
        (true, true) => true,
        (true, false) => SCRIPT_INTERPRETER.is_match(after),
        (false, true) => SCRIPT_INTERPRETER.is_match(before),
        (false, false) => false,
    }
}

/// The shell text of an exec-form command (`["dnf", "install", "x"]`): the script of
/// `[SHELL, "-c", SCRIPT, ...]`, else the words shell-quoted and joined by spaces.
/// `None` when `command` is not a JSON array of strings (then it is shell form).
fn exec_form(command: &str) -> Option<String> {
    let trimmed = command.trim();
    if !trimmed.starts_with('[') {
        return None;
    }
    let words: Vec<String> = serde_json::from_str(trimmed).ok()?;
    match words.as_slice() {
        [shell, c, script, ..]
            if matches!(shell.as_str(), "sh" | "bash" | "/bin/sh" | "/bin/bash") && c == "-c" =>
        {
            Some(script.clone())
        }
        _ => Some(
            words
                .iter()
                .map(|w| shell_quote(w))
                .collect::<Vec<_>>()
                .join(" "),
        ),
    }
}

/// `word` as one shell word: as is when it needs no quoting, else single-quoted.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-*?[]".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Instruction> {
        read_str(text, Path::new("Containerfile")).instructions
    }

    fn kv(text: &str) -> Vec<(String, String)> {
        read(text)
            .into_iter()
            .map(|i| (i.keyword, i.value))
            .collect()
    }

    use crate::containerfile::test_support::pairs;

    #[test]
    fn keywords_any_case_and_values_right_stripped() {
        assert_eq!(
            kv("from  ubi9 as build  \n  run dnf install -y x \t\nRUN\n"),
            pairs(&[
                ("FROM", "ubi9 as build"),
                ("RUN", "dnf install -y x"),
                ("RUN", "")
            ])
        );
        // A keyword alone on the last line without a newline is not an instruction.
        assert_eq!(kv("FROM a\nRUN"), pairs(&[("FROM", "a")]));
    }

    #[test]
    fn continuations_join_with_no_separator_keeping_indentation() {
        let i = read("FROM a\nRUN dnf install -y \\\n    gcc \\\n    make\nRUN a\\\nb\n");
        assert_eq!(i[1].value, "dnf install -y     gcc     make");
        assert_eq!(i[2].value, "ab");
        assert_eq!(i[1].line, 2);
        assert_eq!(i[1].lines.line_at(0), 2);
        assert_eq!(i[1].lines.line_at(i[1].value.find("gcc").unwrap_or(0)), 3);
        assert_eq!(i[1].lines.line_at(i[1].value.find("make").unwrap_or(0)), 4);
        assert_eq!(i[2].lines.line_at(1), 6);
    }

    #[test]
    fn empty_value_left_strips_the_next_line() {
        let i = read("RUN \\\n    dnf install x\n");
        assert_eq!(i[0].value, "dnf install x");
        assert_eq!(i[0].lines.line_at(0), 2);
    }

    #[test]
    fn comments_are_skipped_even_inside_continuations() {
        assert_eq!(
            kv("# c \\\nRUN a \\\n# inner \\\n  b\n"),
            pairs(&[("RUN", "a   b")])
        );
    }

    #[test]
    fn a_blank_line_ends_a_continuation() {
        assert_eq!(
            kv("RUN dnf install \\\n\n    gcc\n"),
            pairs(&[("RUN", "dnf install "), ("GCC", "")])
        );
    }

    #[test]
    fn escape_directive_and_syntax() {
        assert_eq!(
            kv("# syntax=docker/dockerfile:1\n# Escape = `\nRUN a `\n  b\nRUN c \\\n"),
            pairs(&[("RUN", "a   b"), ("RUN", "c \\")])
        );
        // Not at the top: an ordinary comment.
        assert_eq!(
            kv("FROM a\n# escape=`\nRUN a `\nRUN b\n"),
            pairs(&[("FROM", "a"), ("RUN", "a `"), ("RUN", "b")])
        );
    }

    #[test]
    fn file_ending_inside_a_continuation() {
        assert_eq!(kv("RUN a \\\n  b \\"), pairs(&[("RUN", "a   b ")]));
    }

    #[test]
    fn heredoc_script() {
        let text = "FROM a\nRUN <<EOF\nset -e\ndnf install -y x\nFROM not-a-stage\nEOF\nRUN b\n";
        let doc = read_str(text, Path::new("Containerfile"));
        let i = &doc.instructions;
        assert_eq!(i.len(), 3);
        assert_eq!(i[1].value, "set -e\ndnf install -y x\nFROM not-a-stage");
        assert_eq!(i[1].line, 2);
        assert_eq!(i[1].lines.line_at(0), 3);
        assert_eq!(i[1].lines.line_at(i[1].value.find("dnf").unwrap_or(0)), 4);
        assert_eq!(i[2].value, "b");
        assert_eq!(doc.heredoc_lines, BTreeSet::from([3, 4, 5, 6]));
    }

    #[test]
    fn heredoc_forms() {
        let i = read("RUN bash -ex <<-'EOT'\n\tdnf install -y x\n\tEOT\n");
        assert_eq!(i.len(), 1);
        assert_eq!(i[0].value, "dnf install -y x");
        let i = read("RUN <<EOF /bin/bash -o pipefail\ndnf install -y x\nEOF\n");
        assert_eq!(i[0].value, "dnf install -y x");
        // Not a shell: the heredoc is its stdin.
        let i = read("RUN python3 <<EOF\nprint()\nEOF\n");
        assert_eq!(i[0].value, "python3 <<EOF\nprint()\nEOF");
        let i = read("RUN sh -c <<EOF\nx\nEOF\n");
        assert_eq!(i[0].value, "sh -c <<EOF\nx\nEOF");
        let i = read("RUN --mount=type=cache,target=/var/cache <<\"EOF\"\ndnf install y\nEOF\n");
        assert_eq!(i[0].value, "dnf install y");
        // A heredoc for another command: the shell sees it whole.
        let i = read("RUN cat <<EOF > /etc/x.repo\n[x]\nEOF\nRUN b\n");
        assert_eq!(i[0].value, "cat <<EOF > /etc/x.repo\n[x]\nEOF");
        assert_eq!(i[0].lines.line_at(i[0].value.find("[x]").unwrap_or(0)), 2);
        assert_eq!(i[1].value, "b");
        // Two heredocs, read in order.
        let i = read("RUN <<A cat && <<B cat\na1\nA\nb1\nB\nRUN c\n");
        assert_eq!(i[0].value, "<<A cat && <<B cat\na1\nA\nb1\nB");
        assert_eq!(i[1].value, "c");
        // Quoted `<<` and here-strings are not heredocs.
        let i = read("RUN echo \"a <<b\" && cat <<<x\nRUN c\n");
        assert_eq!(i.len(), 2);
        // COPY heredoc: the body is not instructions.
        let i = read("COPY <<EOF /x.sh\nRUN dnf install z\nEOF\n");
        assert_eq!(kv_of(&i), pairs(&[("COPY", "<<EOF /x.sh")]));
    }

    fn kv_of(i: &[Instruction]) -> Vec<(String, String)> {
        i.iter()
            .map(|i| (i.keyword.clone(), i.value.clone()))
            .collect()
    }

    #[test]
    fn exec_form() {
        let i = read("RUN [\"dnf\", \"install\", \"-y\", \"x\", \"a b\", \"it's\"]\n");
        assert_eq!(i[0].value, r"dnf install -y x 'a b' 'it'\''s'");
        let i = read("RUN [\"/bin/sh\", \"-c\", \"dnf install -y x && y.sh\"]\n");
        assert_eq!(i[0].value, "dnf install -y x && y.sh");
        // Malformed JSON is shell form.
        let i = read("RUN [\"dnf\", install]\n");
        assert_eq!(i[0].value, "[\"dnf\", install]");
    }

    #[test]
    fn buildkit_flags_are_dropped() {
        let i = read(
            "RUN --mount=type=secret,id=x --network=none --security=insecure \\\n  dnf install -y x\n",
        );
        assert_eq!(i[0].value, "dnf install -y x");
        assert_eq!(i[0].lines.line_at(0), 2);
        let i = read("RUN --network=host [\"dnf\", \"install\", \"y\"]\n");
        assert_eq!(i[0].value, "dnf install y");
        // Other instructions keep their flags.
        let i = read("COPY --chown=a hack/x /x\n");
        assert_eq!(i[0].value, "--chown=a hack/x /x");
    }

    #[test]
    fn never_panics_on_odd_text() {
        for t in [
            "",
            "\n",
            "\\",
            "RUN \\",
            "RUN <<",
            "RUN <<EOF",
            "RUN <<-\"\n",
            "RUN --",
            "RUN [",
            "RUN é<<é\né",
            "\u{0}RUN\u{0}\r\n",
            "RUN <<EOF <<EOF\nEOF\n",
        ] {
            let _ = read(t);
        }
    }
}
