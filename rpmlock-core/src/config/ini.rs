//! dnf `.repo` files: INI exactly as dnf reads them (libdnf 0.69's `IniParser`, the
//! parser of Debian's dnf 4.14; every rule below was measured with
//! `libdnf.conf.ConfigParser.read`).
//!
//! - `[section]` headers (leading white space allowed; after the `]`, libdnf accepts a
//!   comment or a single character, nothing longer); a section name is a repoid (trimmed,
//!   where libdnf keeps the spaces of `[ a ]`). A section given twice is merged.
//! - `key=value`: the first `=` separates, both sides are trimmed; `key=` is an empty
//!   value. `key: value` is **not** accepted (libdnf: "Missing '='"); neither is an
//!   option before the first section. An option given twice: the last wins.
//! - A line starting with `#` or `;` (in its first column) is a comment; there are no
//!   inline comments (`a=b # c` is the value `b # c`).
//! - A line starting with a space or a tab continues the previous option's value (how a
//!   multi-line `baseurl` lists its mirrors): it is appended, trimmed, after a newline,
//!   even when it starts with `#` (not when it starts with `[`: that is a header). An
//!   empty line, a comment or a section header ends the value; white space at the end
//!   of a value is dropped; an indented line that continues nothing is an error.
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
        if raw.starts_with([' ', '\t']) && !trimmed.starts_with('[') {
            if let (Some(s), Some(o)) = (current, in_value) {
                let value = &mut sections[s].options[o].1;
                value.push('\n');
                value.push_str(trimmed);
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            return Err(err(format!(
                "indented line `{}` continues no option",
                shorten(trimmed)
            )));
        }
        in_value = None;
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some((name, after)) = rest.split_once(']') else {
                return Err(err(format!(
                    "section header `{}` lacks its `]`",
                    shorten(trimmed)
                )));
            };
            // libdnf accepts one character, or a comment, after the `]`.
            let after = after.trim_start();
            if after.chars().count() > 1 && !after.starts_with(['#', ';']) {
                return Err(err(format!(
                    "text after the section header: `{}`",
                    shorten(after)
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
    // White space at the end of a value is dropped (libdnf keeps a value that is
    // nothing but white space).
    for section in &mut sections {
        for (_, value) in &mut section.options {
            if !value.trim().is_empty() {
                value.truncate(value.trim_end().len());
            }
        }
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
            ("[a] xy\nb=1\n", 1, "text after the section header: `xy`"),
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

    /// Every file of three lines drawn from tricky atoms, parsed by libdnf's
    /// `ConfigParser` (when python3-libdnf is installed) and by [`parse`]: the same
    /// accepted files with the same options, the same rejected ones at the same line.
    #[test]
    fn agrees_with_libdnf_when_available() {
        let script = r##"
import json, os, re, sys, tempfile
try:
    import libdnf.conf as c
except ImportError:
    print("SKIP"); sys.exit(0)
out = []
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "t.repo")
    for text in json.load(sys.stdin):
        with open(path, "w") as f:
            f.write(text)
        p = c.ConfigParser()
        try:
            p.read(path)
        except Exception as e:
            out.append({"err": int(re.search(r"at line (\d+)", str(e)).group(1))})
            continue
        data = p.getData()
        out.append({"ok": [[s.strip(), sorted([k, data[s][k]] for k in data[s] if not k.startswith("#"))] for s in data]})
print(json.dumps(out))
"##;
        let atoms = [
            "[a]", "x=1", "x = 2 ", "  y", "\tz", "", "   ", "# c", "; c", "  # c", "k: v",
            "<html>", "[a] t", "  [b]", "u=",
        ];
        let mut cases = Vec::new();
        for a in atoms {
            for b in atoms {
                for c in atoms {
                    cases.push(format!("{a}\n{b}\n{c}\n"));
                }
            }
        }
        let json: Vec<String> = cases
            .iter()
            .map(|t| {
                let escaped: String = t
                    .chars()
                    .map(|ch| match ch {
                        '\n' => "\\n".to_string(),
                        '\t' => "\\t".to_string(),
                        '"' => "\\\"".to_string(),
                        '\\' => "\\\\".to_string(),
                        c => c.to_string(),
                    })
                    .collect();
                format!("\"{escaped}\"")
            })
            .collect();
        let Some(out) =
            crate::config::tests_support::python(script, &format!("[{}]", json.join(",")))
        else {
            return crate::config::tests_support::reference_missing("/usr/bin/python3");
        };
        if out.trim() == "SKIP" {
            return crate::config::tests_support::reference_missing("python3-libdnf");
        }
        let want: Vec<serde_yaml::Value> = serde_yaml::from_str(&out).expect("JSON is YAML");
        let mut mismatches = Vec::new();
        for (text, want) in cases.iter().zip(want) {
            let got = match parse(text) {
                Err(e) => format!("err {}", e.line),
                Ok(sections) => {
                    let mut parts = Vec::new();
                    for s in sections {
                        let mut opts: Vec<(String, String)> = s.options;
                        opts.sort();
                        parts.push(format!("{}:{opts:?}", s.name));
                    }
                    format!("ok {parts:?}")
                }
            };
            let want = if let Some(line) = want.get("err") {
                format!("err {}", line.as_u64().unwrap())
            } else {
                let mut parts = Vec::new();
                for s in want["ok"].as_sequence().unwrap() {
                    let name = s[0].as_str().unwrap();
                    let opts: Vec<(String, String)> = s[1]
                        .as_sequence()
                        .unwrap()
                        .iter()
                        .map(|kv| {
                            (
                                kv[0].as_str().unwrap().to_string(),
                                kv[1].as_str().unwrap().to_string(),
                            )
                        })
                        .collect();
                    parts.push(format!("{name}:{opts:?}"));
                }
                format!("ok {parts:?}")
            };
            if got != want {
                mismatches.push(format!("{text:?}: rpmlock {got}, libdnf {want}"));
            }
        }
        assert!(
            mismatches.is_empty(),
            "{} of {} differ:\n{}",
            mismatches.len(),
            cases.len(),
            mismatches[..mismatches.len().min(30)].join("\n")
        );
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
