//! dnf `.repo` files: INI exactly as dnf reads them (libdnf 0.69's `IniParser`, the
//! parser of Debian's dnf 4.14; every rule below was measured with
//! `libdnf.conf.ConfigParser.read`).
//!
//! - `[section]` headers (leading white space allowed, nothing after the `]`); a section
//!   name is a repoid. A section given twice is merged.
//! - `key=value`: the first `=` separates, both sides are trimmed; `key=` is an empty
//!   value. `key: value` is **not** accepted (libdnf: "Missing '='"); neither is an
//!   option before the first section. An option given twice: the last wins.
//! - A line starting with `#` or `;` (in its first column) is a comment; there are no
//!   inline comments (`a=b # c` is the value `b # c`).
//! - A line starting with a space or a tab continues the previous option's value (how a
//!   multi-line `baseurl` lists its mirrors): it is appended, trimmed, after a newline,
//!   even when it starts with `#`. An empty line, a comment or a section header ends
//!   the value; an indented line that continues nothing is an error.
//! - No `DEFAULT` section and no `%(interpolation)s`.

/// One `[section]` of a `.repo` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// The name between the brackets, trimmed.
    pub(crate) name: String,
    /// 1-based line of the (first) header.
    pub(crate) line: usize,
    /// The options in file order, keys as written (trimmed), values with continuation
    /// lines joined by `\n`.
    pub(crate) options: Vec<(String, String)>,
}

/// Where and why a text is not INI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IniError {
    /// 1-based line.
    pub(crate) line: usize,
    /// What is wrong.
    pub(crate) message: String,
}

/// Parses `text` into its sections, in file order.
pub(crate) fn parse(text: &str) -> Result<Vec<Section>, IniError> {
    let mut sections: Vec<Section> = Vec::new();
    // The section and option index a continuation line extends.
    let mut current: Option<usize> = None;
    let mut in_value: Option<usize> = None;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let err = |message: String| IniError { line, message };
        if raw.is_empty() {
            in_value = None;
            continue;
        }
        if raw.starts_with(['#', ';']) {
            in_value = None;
            continue;
        }
        let trimmed = raw.trim();
        if raw.starts_with([' ', '\t']) {
            if let (Some(s), Some(o)) = (current, in_value) {
                let value = &mut sections[s].options[o].1;
                value.push('\n');
                value.push_str(trimmed);
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            if !trimmed.starts_with('[') {
                return Err(err(format!(
                    "indented line `{}` continues no option",
                    shorten(trimmed)
                )));
            }
        }
        in_value = None;
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some((name, after)) = rest.split_once(']') else {
                return Err(err(format!(
                    "section header `{}` lacks its `]`",
                    shorten(trimmed)
                )));
            };
            if !after.trim().is_empty() {
                return Err(err(format!(
                    "text after the section header: `{}`",
                    shorten(after.trim())
                )));
            }
            let name = name.trim();
            if name.is_empty() {
                return Err(err("empty section name `[]`".into()));
            }
            current = Some(match sections.iter().position(|s| s.name == name) {
                Some(at) => at,
                None => {
                    sections.push(Section {
                        name: name.to_string(),
                        line,
                        options: Vec::new(),
                    });
                    sections.len() - 1
                }
            });
            continue;
        }
        let Some(s) = current else {
            return Err(err(format!(
                "expected a `[section]` header, found `{}`",
                shorten(trimmed)
            )));
        };
        let Some((key, value)) = trimmed.split_once('=') else {
            let hint = if trimmed.contains(':') {
                " (dnf does not accept `key: value`)"
            } else {
                ""
            };
            return Err(err(format!(
                "expected `key=value`{hint}, found `{}`",
                shorten(trimmed)
            )));
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() {
            return Err(err(format!(
                "option without a name: `{}`",
                shorten(trimmed)
            )));
        }
        let options = &mut sections[s].options;
        let at = match options.iter().position(|(k, _)| k == key) {
            Some(at) => {
                options[at].1 = value.to_string();
                at
            }
            None => {
                options.push((key.to_string(), value.to_string()));
                options.len() - 1
            }
        };
        in_value = Some(at);
    }
    Ok(sections)
}

/// At most 60 characters of `s`, for messages about lines that may be anything (an HTML
/// error page, a binary file).
fn shorten(s: &str) -> String {
    if s.chars().count() <= 60 {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(60).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(s: &Section) -> Vec<(&str, &str)> {
        s.options
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn sections_options_comments_and_continuations() {
        let text = "\u{feff}# a comment\n; another\n\n[base]\nname = Base $basearch\nbaseurl=http://a/$basearch/\n  http://b/$basearch/\n\thttp://c/\n  # not a comment\n   \n  http://d/\nenabled=1\nexclude=\n  foo\nempty=\nempty=again\n\n  [b]\nkey = a:b=c\r\nx=1 # not a comment\n[base]\nmerged=yes\n";
        let sections = parse(text).unwrap();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].name, "base");
        assert_eq!(sections[0].line, 4);
        assert_eq!(
            opts(&sections[0]),
            [
                ("name", "Base $basearch"),
                (
                    "baseurl",
                    "http://a/$basearch/\nhttp://b/$basearch/\nhttp://c/\n# not a comment\n\nhttp://d/"
                ),
                ("enabled", "1"),
                ("exclude", "\nfoo"),
                ("empty", "again"),
                ("merged", "yes"),
            ]
        );
        assert_eq!(sections[1].name, "b");
        assert_eq!(
            opts(&sections[1]),
            [("key", "a:b=c"), ("x", "1 # not a comment")]
        );
    }

    #[test]
    fn errors_name_the_line() {
        // Each rejected by libdnf's IniParser too (at the same line).
        let cases = [
            ("baseurl=x\n[a]\n", 1, "expected a `[section]` header"),
            (
                "<html>\n",
                1,
                "expected a `[section]` header, found `<html>`",
            ),
            (
                "[a]\nb=1\n<html>\n",
                3,
                "expected `key=value`, found `<html>`",
            ),
            ("[a]\nb: 1\n", 2, "(dnf does not accept `key: value`)"),
            ("[a\nb=1\n", 1, "lacks its `]`"),
            ("[a] x\nb=1\n", 1, "text after the section header: `x`"),
            ("[]\n", 1, "empty section name"),
            ("[a]\n=1\n", 2, "option without a name"),
            ("  indented=1\n[a]\n", 1, "continues no option"),
            ("[a]\n  # c\nx=1\n", 2, "continues no option"),
            ("[a]\nx=1\n\n  y\n", 4, "continues no option"),
            ("[a]\nx=1\n# c\n  y\n", 4, "continues no option"),
        ];
        for (text, line, needle) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err:?}");
            assert!(err.message.contains(needle), "{text:?}: {err:?}");
        }
    }

    #[test]
    fn empty_and_comment_only_files_have_no_sections() {
        assert_eq!(parse("").unwrap(), []);
        assert_eq!(parse("# nothing\n\n").unwrap(), []);
    }

    #[test]
    fn long_lines_are_shortened_in_messages() {
        let line = "x".repeat(200);
        let err = parse(&format!("[a]\n{line}\n")).unwrap_err();
        assert!(err.message.len() < 120, "{}", err.message);
    }
}
