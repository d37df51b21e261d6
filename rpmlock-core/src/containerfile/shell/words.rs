//! Word text: the reference's quote removal (CONTAINERFILE.md A7.1 step 3).
//!
//! Both quote kinds go and backslash escapes are resolved, but expansions stay as
//! text: `"$A"x` is `$Ax`, `'$B'` is `$B`, `$'x'` is `$x`, `"$(echo a)"` is
//! `$(echo a)`. The inside of `$(...)`, `${...}` and backticks is kept verbatim, quotes
//! included, as the arch and echo-word patterns expect (A8.1, A7.5).

/// The word text of the raw word `raw`.
pub(super) fn word_text(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => match chars.get(i + 1) {
                Some('\n') => i += 2,
                Some(&next) => {
                    out.push(next);
                    i += 2;
                }
                None => {
                    out.push('\\');
                    i += 1;
                }
            },
            '\'' => {
                let end = find_from(&chars, i + 1, '\'');
                out.extend(chars.get(i + 1..end).unwrap_or_default());
                i = end + 1;
            }
            '"' => i = double_quoted(&chars, i + 1, &mut out),
            '$' | '`' => {
                let end = expansion_end(&chars, i);
                out.extend(chars.get(i..end).unwrap_or_default());
                i = end.max(i + 1);
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Whether the raw word holds a command substitution (`$(...)` or backticks, also
/// inside double quotes; not inside single quotes, and not `$((...))`).
pub(super) fn has_command_substitution(raw: &str) -> bool {
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    let mut in_double = false;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => i += 2,
            '\'' if !in_double => i = find_from(&chars, i + 1, '\'') + 1,
            '"' => {
                in_double = !in_double;
                i += 1;
            }
            '`' => return true,
            '$' if chars.get(i + 1) == Some(&'(') => {
                if chars.get(i + 2) != Some(&'(') {
                    return true;
                }
                i += 3;
            }
            _ => i += 1,
        }
    }
    false
}

/// The index of the first `c` at or after `from` (the length if there is none).
fn find_from(chars: &[char], from: usize, c: char) -> usize {
    chars
        .get(from..)
        .and_then(|rest| rest.iter().position(|&x| x == c))
        .map_or(chars.len(), |p| from + p)
}

/// Copies the inside of a double-quoted string starting at `i` into `out`; returns
/// the index after the closing quote.
fn double_quoted(chars: &[char], mut i: usize, out: &mut String) -> usize {
    while let Some(&c) = chars.get(i) {
        match c {
            '"' => return i + 1,
            '\\' => match chars.get(i + 1) {
                Some('\n') => i += 2,
                Some(&next @ ('$' | '`' | '"' | '\\')) => {
                    out.push(next);
                    i += 2;
                }
                Some(&next) => {
                    out.push('\\');
                    out.push(next);
                    i += 2;
                }
                None => {
                    out.push('\\');
                    i += 1;
                }
            },
            '$' | '`' => {
                let end = expansion_end(chars, i);
                out.extend(chars.get(i..end).unwrap_or_default());
                i = end.max(i + 1);
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    i
}

/// The end (exclusive) of the expansion starting at `i` (a `$` or a backtick): the
/// balanced `$(...)`, `${...}` or backtick string, or just the `$` otherwise.
pub(super) fn expansion_end(chars: &[char], i: usize) -> usize {
    match (chars.get(i), chars.get(i + 1)) {
        (Some('`'), _) => {
            let mut j = i + 1;
            while let Some(&c) = chars.get(j) {
                match c {
                    '\\' => j += 2,
                    '`' => return j + 1,
                    _ => j += 1,
                }
            }
            chars.len()
        }
        (Some('$'), Some('(')) => balanced(chars, i + 1, '(', ')'),
        (Some('$'), Some('{')) => balanced(chars, i + 1, '{', '}'),
        _ => i + 1,
    }
}

/// The end (exclusive) of the bracketed text whose opening bracket is at `open_at`,
/// skipping quoted text and nested expansions.
fn balanced(chars: &[char], open_at: usize, open: char, close: char) -> usize {
    let mut depth = 0usize;
    let mut j = open_at;
    while let Some(&c) = chars.get(j) {
        match c {
            '\\' => j += 2,
            '\'' => j = find_from(chars, j + 1, '\'') + 1,
            '"' => j = skip_double_quoted(chars, j + 1),
            '`' => j = expansion_end(chars, j),
            '$' if matches!(chars.get(j + 1), Some('(' | '{')) => j = expansion_end(chars, j),
            _ if c == open => {
                depth += 1;
                j += 1;
            }
            _ if c == close => {
                depth = depth.saturating_sub(1);
                j += 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => j += 1,
        }
    }
    chars.len()
}

/// The index after the double-quoted string whose inside starts at `i`.
fn skip_double_quoted(chars: &[char], mut i: usize) -> usize {
    while let Some(&c) = chars.get(i) {
        match c {
            '"' => return i + 1,
            '\\' => i += 2,
            '$' | '`' => i = expansion_end(chars, i).max(i + 1),
            _ => i += 1,
        }
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_removal_keeps_expansions() {
        // The [probed] examples of A7.1 step 3.
        assert_eq!(word_text(r#""$A"x"#), "$Ax");
        assert_eq!(word_text("'$B'"), "$B");
        assert_eq!(word_text(r"a\ b"), "a b");
        assert_eq!(word_text(r#""a b""#), "a b");
        assert_eq!(word_text("$'x'"), "$x");
        assert_eq!(word_text(r#""$(echo a)""#), "$(echo a)");
        assert_eq!(word_text(r"pkg\$"), "pkg$");
    }

    #[test]
    fn quote_removal_details() {
        assert_eq!(word_text(r#""a\"b\c""#), r#"a"b\c"#);
        assert_eq!(word_text(r"'a\b'"), r"a\b");
        assert_eq!(
            word_text(r#"$(if [ "$(arch)" = x ]; then echo 'a b'; fi)"#),
            r#"$(if [ "$(arch)" = x ]; then echo 'a b'; fi)"#
        );
        assert_eq!(word_text(r#""${P:-"a b"}"x"#), r#"${P:-"a b"}x"#);
        assert_eq!(word_text("`echo \"a\"`b"), "`echo \"a\"`b");
        assert_eq!(word_text("a\\"), "a\\");
        assert_eq!(word_text("'unterminated"), "unterminated");
        assert_eq!(word_text("$(unterminated"), "$(unterminated");
    }

    #[test]
    fn command_substitution_detection() {
        assert!(has_command_substitution("$(cat f)"));
        assert!(has_command_substitution(r#""x$(arch)""#));
        assert!(has_command_substitution("`arch`"));
        assert!(!has_command_substitution("'$(arch)'"));
        assert!(!has_command_substitution("$((1 + 2))"));
        assert!(!has_command_substitution("${X:-a}"));
    }
}
