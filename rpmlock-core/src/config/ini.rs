//! dnf `.repo` files: INI as dnf reads them (libdnf's `IniParser`, Python's
//! `configparser` for the parts where they agree).
//!
//! - `[section]` headers; a section name is a repoid.
//! - `key=value` and `key: value` (the first `=` or `:` separates; both sides are
//!   trimmed); a key without a value (`key=`) is an empty string.
//! - Lines whose first non-blank character is `#` or `;` are comments, anywhere; blank
//!   lines are ignored. There are no inline comments (`a=b # c` is the value `b # c`).
//! - A line starting with a space or a tab continues the previous option's value: it is
//!   appended after a newline (how a multi-line `baseurl` lists its mirrors).
//! - No `DEFAULT` section and no `%(interpolation)s`.
//! - An option before any section, a line that is neither header nor option, a section
//!   given twice, or an option given twice in one section is an error naming the line.

/// One `[section]` of a `.repo` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// The name between the brackets, trimmed.
    pub(crate) name: String,
    /// 1-based line of the header.
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
    // Whether the previous non-comment line was an option (continuations extend it).
    let mut in_value = false;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let err = |message: String| IniError { line, message };
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            // As in configparser (`empty_lines_in_values`): an indented line after a
            // blank one still continues the value.
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if raw.starts_with([' ', '\t']) && in_value {
            let section = sections.last_mut().expect("a value lives in a section");
            let (_, value) = section.options.last_mut().expect("a value has an option");
            if !value.is_empty() {
                value.push('\n');
            }
            value.push_str(trimmed);
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(err(format!("section header `{trimmed}` lacks its `]`")));
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(err("empty section name `[]`".into()));
            }
            if let Some(first) = sections.iter().find(|s| s.name == name) {
                return Err(err(format!(
                    "section [{name}] given twice (first on line {})",
                    first.line
                )));
            }
            sections.push(Section {
                name: name.to_string(),
                line,
                options: Vec::new(),
            });
            in_value = false;
            continue;
        }
        let Some(at) = trimmed.find(['=', ':']) else {
            return Err(err(format!(
                "expected `[section]` or `key=value`, found `{}`",
                shorten(trimmed)
            )));
        };
        let key = trimmed[..at].trim();
        let value = trimmed[at + 1..].trim();
        if key.is_empty() {
            return Err(err(format!(
                "option without a name: `{}`",
                shorten(trimmed)
            )));
        }
        let Some(section) = sections.last_mut() else {
            return Err(err(format!("option `{key}` before any `[section]` header")));
        };
        if section.options.iter().any(|(k, _)| k == key) {
            return Err(err(format!(
                "option `{key}` given twice in section [{}]",
                section.name
            )));
        }
        section.options.push((key.to_string(), value.to_string()));
        in_value = true;
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
        let text = "\u{feff}# a comment\n; another\n\n[base]\nname = Base $basearch\nbaseurl=http://a/$basearch/\n  http://b/$basearch/\n\thttp://c/\n  # a comment inside\n  http://d/\nenabled: 1\nexclude=\n  foo\nempty=\n[ other ]\nkey : a:b=c\nx=1 # not a comment\n";
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
                    "http://a/$basearch/\nhttp://b/$basearch/\nhttp://c/\nhttp://d/"
                ),
                ("enabled", "1"),
                ("exclude", "foo"),
                ("empty", ""),
            ]
        );
        assert_eq!(sections[1].name, "other");
        assert_eq!(
            opts(&sections[1]),
            [("key", "a:b=c"), ("x", "1 # not a comment")]
        );
    }

    #[test]
    fn a_blank_line_does_not_end_a_value() {
        let sections = parse("[a]\nbaseurl=http://a/\n\n  http://b/\nx=1\n").unwrap();
        assert_eq!(
            opts(&sections[0]),
            [("baseurl", "http://a/\nhttp://b/"), ("x", "1")]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("baseurl=x\n[a]\n", 1, "before any `[section]`"),
            (
                "[a]\nb=1\n<html>\n",
                3,
                "expected `[section]` or `key=value`",
            ),
            ("[a\nb=1\n", 1, "lacks its `]`"),
            ("[a]\n[b]\n[a]\n", 3, "given twice (first on line 1)"),
            ("[a]\nb=1\nb=2\n", 3, "option `b` given twice"),
            ("[]\n", 1, "empty section name"),
            ("[a]\n=1\n", 2, "option without a name"),
            ("  indented=1\n", 1, "before any `[section]`"),
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
