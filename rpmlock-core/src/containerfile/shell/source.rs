//! The pre-processed text the parser sees (CONTAINERFILE.md A7.1 step 1), with the
//! translation of its positions back to byte offsets of the original text, so that
//! origins stay right although `[[`, `]]` and `==` shrink it.

use std::sync::LazyLock;

use regex::Regex;

/// `[ X == Y ]` with blanks around each part: the one test shape whose `==` becomes `=`.
static DOUBLE_EQUALS_TEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\[\s+\S+\s+)==(\s+\S+\s+\])").expect("valid regex"));

/// A run of digits glued to a redirection operator (brush reads it as a descriptor).
static FD_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\w$])([0-9]+)[<>]").expect("valid regex"));

/// The pre-processed text and its position maps.
#[derive(Debug)]
pub(super) struct Source {
    text: String,
    /// For every byte of `text` (and one past the end), the original byte offset.
    original_of_byte: Vec<usize>,
    /// The byte offset in `text` of every char (brush counts positions in chars).
    char_starts: Vec<usize>,
}

impl Source {
    /// Pre-processes `original`: every `[[` becomes `[`, every `]]` becomes `]`, then
    /// the `==` of a simple `[ a == b ]` test becomes `=` (A7.1 step 1).
    pub(super) fn new(original: &str) -> Source {
        // Step 1: brackets, one char (with its original offset) at a time.
        let mut step1 = String::with_capacity(original.len());
        let mut origin1 = Vec::with_capacity(original.len() + 1);
        let mut chars = original.char_indices().peekable();
        while let Some((offset, c)) = chars.next() {
            if (c == '[' || c == ']') && chars.peek().map(|&(_, n)| n) == Some(c) {
                chars.next();
            }
            push_char(&mut step1, &mut origin1, c, offset);
        }
        origin1.push(original.len());

        // Step 2: `==` in the simple test shape, non-overlapping, left to right.
        let mut text = String::with_capacity(step1.len());
        let mut original_of_byte = Vec::with_capacity(step1.len() + 1);
        let mut copied = 0;
        for caps in DOUBLE_EQUALS_TEST.captures_iter(&step1) {
            let (Some(whole), Some(left), Some(right)) = (caps.get(0), caps.get(1), caps.get(2))
            else {
                continue;
            };
            copy_range(
                &step1,
                &origin1,
                copied,
                left.end(),
                &mut text,
                &mut original_of_byte,
            );
            push_char(&mut text, &mut original_of_byte, '=', origin1[left.end()]);
            copy_range(
                &step1,
                &origin1,
                right.start(),
                whole.end(),
                &mut text,
                &mut original_of_byte,
            );
            copied = whole.end();
        }
        copy_range(
            &step1,
            &origin1,
            copied,
            step1.len(),
            &mut text,
            &mut original_of_byte,
        );
        original_of_byte.push(original.len());

        let char_starts = text.char_indices().map(|(i, _)| i).collect();
        Source {
            text,
            original_of_byte,
            char_starts,
        }
    }

    /// The pre-processed text.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// The byte offset in [`Source::text`] of the char at index `char_index` (the end
    /// of the text past the last char).
    pub(super) fn byte(&self, char_index: usize) -> usize {
        self.char_starts
            .get(char_index)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The byte offset in the original text of the char at index `char_index`.
    pub(super) fn original(&self, char_index: usize) -> usize {
        let byte = self.byte(char_index);
        self.original_of_byte
            .get(byte)
            .or(self.original_of_byte.last())
            .copied()
            .unwrap_or(0)
    }

    /// The char at index `char_index`.
    pub(super) fn char_at(&self, char_index: usize) -> Option<char> {
        self.text.get(self.byte(char_index)..)?.chars().next()
    }

    /// The text before the char at index `char_index`.
    pub(super) fn before(&self, char_index: usize) -> &str {
        self.text.get(..self.byte(char_index)).unwrap_or("")
    }

    /// The line of the pre-processed text that holds the char at `char_index`.
    pub(super) fn line_of(&self, char_index: usize) -> &str {
        let at = self.byte(char_index);
        let start = self
            .text
            .get(..at)
            .and_then(|s| s.rfind('\n'))
            .map_or(0, |i| i + 1);
        let end = self
            .text
            .get(at..)
            .and_then(|s| s.find('\n'))
            .map_or(self.text.len(), |i| at + i);
        self.text.get(start..end).unwrap_or("")
    }
}

fn push_char(text: &mut String, origins: &mut Vec<usize>, c: char, origin: usize) {
    text.push(c);
    origins.extend(std::iter::repeat_n(origin, c.len_utf8()));
}

fn copy_range(
    from: &str,
    origins: &[usize],
    start: usize,
    end: usize,
    text: &mut String,
    out_origins: &mut Vec<usize>,
) {
    if let (Some(s), Some(o)) = (from.get(start..end), origins.get(start..end)) {
        text.push_str(s);
        out_origins.extend_from_slice(o);
    }
}

/// How deeply brackets and compound commands nest in `text` at most: the parser
/// recurses that deep, and a text nested a few hundred levels overflows its stack.
/// Parentheses count apart from keywords, so that the unmatched `)` of a `case`
/// pattern closes nothing.
pub(super) fn nesting_depth(text: &str) -> usize {
    let (mut parens, mut braces, mut keywords) = (0usize, 0usize, 0usize);
    let mut max = 0;
    let mut in_backticks = false;
    let mut word = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        match word.as_str() {
            "if" | "case" | "do" => keywords += 1,
            "fi" | "esac" | "done" => keywords = keywords.saturating_sub(1),
            _ => {}
        }
        word.clear();
        match c {
            '(' => parens += 1,
            ')' => parens = parens.saturating_sub(1),
            '{' => braces += 1,
            '}' => braces = braces.saturating_sub(1),
            '`' if in_backticks => keywords = keywords.saturating_sub(1),
            '`' => keywords += 1,
            _ => {}
        }
        if c == '`' {
            in_backticks = !in_backticks;
        }
        max = max.max(parens + braces + keywords);
    }
    max
}

/// The char index of a descriptor number before `<` or `>` too large for an `i32`.
pub(super) fn oversized_fd_number(text: &str) -> Option<usize> {
    FD_NUMBER.captures_iter(text).find_map(|caps| {
        let digits = caps.get(1)?;
        if digits.as_str().parse::<i32>().is_ok() {
            return None;
        }
        Some(text.get(..digits.start())?.chars().count())
    })
}
