//! Word splitting with the rules of Python's `shlex.split` in POSIX mode, comments
//! off (CONTAINERFILE.md A5.1, A9.1, C3), which the reference uses for ENV and
//! COPY/ADD values.
//!
//! - Blanks (space, tab, CR, LF) separate words; quotes glue onto the word around them.
//! - Outside quotes a backslash makes the next character literal (a trailing lone
//!   backslash is an error).
//! - Inside `"…"` a backslash is removed only before `"` or `\`; elsewhere it stays.
//! - Inside `'…'` nothing is special.
//! - `#` is an ordinary character (unlike the `shell-words` and `shlex` crates).
//! - An unbalanced quote is an error; `""` is an empty word.

use std::fmt;

/// Why a text cannot be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// A `"` or `'` that is never closed.
    NoClosingQuotation,
    /// A backslash at the very end, outside quotes.
    NoEscapedCharacter,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitError::NoClosingQuotation => f.write_str("no closing quotation"),
            SplitError::NoEscapedCharacter => f.write_str("no escaped character"),
        }
    }
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Splits `text` into words (see the module documentation for the rules).
pub(crate) fn split(text: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    // Whether a word has started (an empty quoted string is a word).
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if is_blank(c) => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                let escaped = chars.next().ok_or(SplitError::NoEscapedCharacter)?;
                word.push(escaped);
                in_word = true;
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(SplitError::NoClosingQuotation),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\')) => word.push(e),
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return Err(SplitError::NoClosingQuotation),
                        },
                        Some(c) => word.push(c),
                        None => return Err(SplitError::NoClosingQuotation),
                    }
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<String> {
        split(text).expect("splits")
    }

    #[test]
    fn blanks_separate_and_quotes_glue() {
        assert_eq!(ok("  a\tb\n c  "), ["a", "b", "c"]);
        assert_eq!(ok(r#"A="x y" B='p q'"#), ["A=x y", "B=p q"]);
        assert_eq!(ok(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(ok(r#"a "" b"#), ["a", "", "b"]);
        assert!(ok("").is_empty());
    }

    #[test]
    fn hash_is_not_a_comment() {
        assert_eq!(ok("A=1 #x B=2"), ["A=1", "#x", "B=2"]);
    }

    #[test]
    fn backslashes() {
        assert_eq!(ok(r"C=z\ w"), ["C=z w"]);
        assert_eq!(ok(r"a\\b"), [r"a\b"]);
        assert_eq!(ok(r#""a\"b\\c\d""#), [r#"a"b\c\d"#]);
        assert_eq!(ok(r"'a\b'"), [r"a\b"]);
    }

    #[test]
    fn errors() {
        assert_eq!(split(r#"A="x"#), Err(SplitError::NoClosingQuotation));
        assert_eq!(split("A='x"), Err(SplitError::NoClosingQuotation));
        assert_eq!(split(r#"A="x\"#), Err(SplitError::NoClosingQuotation));
        assert_eq!(split(r"a\"), Err(SplitError::NoEscapedCharacter));
    }
}
