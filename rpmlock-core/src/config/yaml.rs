//! Reading rpms.in.yaml's YAML into a [`Value`] tree, keeping what users wrote.
//!
//! serde_yaml resolves every plain scalar to a number or a boolean, which loses what
//! was written: `8.10` becomes `8.1`, `017` becomes `17`, `1e3` becomes `1000`. Here
//! the document is read as a stream of parser events (yaml-rust2) and every scalar
//! stays its source text: a plain `~`/`null`/`Null`/`NULL` or an empty plain scalar is
//! null, everything else a string (the validator reads `true`, `yes`, `on`... as
//! booleans and numbers as numbers where it wants them, as PyYAML would). So a package,
//! version, repoid or variable value is exactly the text in the file.
//!
//! Also: a UTF-8 byte order mark is skipped, UTF-16 input is refused with a clear
//! message, duplicate keys are an error naming the key and line, aliases are expanded
//! (with a cap on the total size, against "billion laughs"), nesting deeper than
//! [`MAX_DEPTH`] is refused, and there must be exactly one document. Time is linear in
//! the input: the tree is built with an explicit stack.

use std::collections::HashMap;

use serde_yaml::{Mapping, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// Deepest nesting of lists and mappings accepted (an rpms.in.yaml needs about 6).
pub(crate) const MAX_DEPTH: usize = 256;

/// Most nodes a document may expand to (aliases included).
const MAX_NODES: usize = 1_000_000;

/// What is wrong with a YAML document, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for YamlError {}

/// A list or mapping being read: its items so far, its anchor id, and how many values
/// it holds so far (itself included).
enum Frame {
    Seq(Vec<Value>, usize, usize),
    Map(Mapping, Option<Value>, usize, usize),
}

/// Parses `text` as one YAML document.
pub(crate) fn load(text: &str) -> Result<Value, YamlError> {
    let text = check_encoding(text)?;
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    // Anchored values with their sizes (values held, themselves included).
    let mut anchors: HashMap<usize, (Value, usize)> = HashMap::new();
    let mut root: Option<Value> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        let at = |message: String| YamlError {
            line: mark.line(),
            column: mark.col() + 1,
            message,
        };
        let is_alias = matches!(event, Event::Alias(_));
        let (node, size) = match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => continue,
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(at("expected a single document, found a second one".into()));
                }
                continue;
            }
            Event::SequenceStart(anchor, tag) => {
                refuse_tag(tag.as_ref(), &at)?;
                if stack.len() >= MAX_DEPTH {
                    return Err(at(format!("nested deeper than {MAX_DEPTH} levels")));
                }
                nodes += 1;
                stack.push(Frame::Seq(Vec::new(), anchor, 1));
                continue;
            }
            Event::MappingStart(anchor, tag) => {
                refuse_tag(tag.as_ref(), &at)?;
                if stack.len() >= MAX_DEPTH {
                    return Err(at(format!("nested deeper than {MAX_DEPTH} levels")));
                }
                nodes += 1;
                stack.push(Frame::Map(Mapping::new(), None, anchor, 1));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, anchor, size)) => {
                    let v = Value::Sequence(items);
                    if anchor > 0 {
                        anchors.insert(anchor, (v.clone(), size));
                    }
                    (v, size)
                }
                _ => return Err(at("unbalanced sequence".into())),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(map, None, anchor, size)) => {
                    let v = Value::Mapping(map);
                    if anchor > 0 {
                        anchors.insert(anchor, (v.clone(), size));
                    }
                    (v, size)
                }
                _ => return Err(at("unbalanced mapping".into())),
            },
            Event::Scalar(text, style, anchor, tag) => {
                let v = scalar(text, style, tag.as_ref(), &at)?;
                if anchor > 0 {
                    anchors.insert(anchor, (v.clone(), 1));
                }
                (v, 1)
            }
            Event::Alias(id) => {
                let (v, size) = anchors
                    .get(&id)
                    .ok_or_else(|| at("alias to an unknown anchor".into()))?;
                // Checked before the copy is made.
                if nodes + size > MAX_NODES {
                    return Err(at(format!(
                        "the document expands to more than {MAX_NODES} values (aliases?)"
                    )));
                }
                (v.clone(), *size)
            }
        };
        // Every value counts once: a list or mapping when it starts (below), a
        // scalar here, an alias as the size of what it copies.
        if !matches!(node, Value::Sequence(_) | Value::Mapping(_)) || is_alias {
            nodes += size;
        }
        if nodes > MAX_NODES {
            return Err(at(format!(
                "the document expands to more than {MAX_NODES} values (aliases?)"
            )));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(items, _, held)) => {
                *held += size;
                items.push(node);
            }
            Some(Frame::Map(map, key, _, held)) => match key.take() {
                None => {
                    *held += size;
                    *key = Some(node);
                }
                Some(k) => {
                    *held += size;
                    if map.contains_key(&k) {
                        let name = match &k {
                            Value::String(s) => s.clone(),
                            other => format!("{other:?}"),
                        };
                        return Err(at(format!("duplicate key `{name}`")));
                    }
                    map.insert(k, node);
                }
            },
        }
    }
    Ok(root.unwrap_or(Value::Null))
}

fn scalar(
    text: String,
    style: TScalarStyle,
    tag: Option<&yaml_rust2::parser::Tag>,
    at: &impl Fn(String) -> YamlError,
) -> Result<Value, YamlError> {
    if let Some(tag) = tag {
        let core = tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:";
        return match (core, tag.suffix.as_str()) {
            (true, "null") => Ok(Value::Null),
            (true, "str" | "int" | "float" | "bool") => Ok(Value::String(text)),
            _ => Err(at(format!(
                "unsupported tag `{}{}`",
                tag.handle, tag.suffix
            ))),
        };
    }
    if style == TScalarStyle::Plain && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL")
    {
        return Ok(Value::Null);
    }
    Ok(Value::String(text))
}

fn refuse_tag(
    tag: Option<&yaml_rust2::parser::Tag>,
    at: &impl Fn(String) -> YamlError,
) -> Result<(), YamlError> {
    match tag {
        Some(t) if !(t.handle == "!!" && matches!(t.suffix.as_str(), "seq" | "map")) => {
            Err(at(format!("unsupported tag `{}{}`", t.handle, t.suffix)))
        }
        _ => Ok(()),
    }
}

/// Skips a UTF-8 byte order mark; refuses text that is UTF-16 read as UTF-8 (NUL
/// bytes).
fn check_encoding(text: &str) -> Result<&str, YamlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\0') {
        return Err(YamlError {
            line: 1,
            column: 1,
            message: "the file holds NUL bytes: is it UTF-16? Save it as UTF-8".into(),
        });
    }
    Ok(text)
}

/// Decodes a file's bytes: UTF-8 (with or without a byte order mark); UTF-16 and
/// other encodings are refused with a message saying so.
pub(crate) fn decode(bytes: &[u8]) -> Result<&str, String> {
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(
            "the file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8".into(),
        );
    }
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "the file is not UTF-8 (invalid byte at offset {}): save it as UTF-8",
            e.valid_up_to()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn scalars_keep_their_source_text() {
        let doc = load("a: [1e3, 0o17, 8.10, 017, yes, 'x', \"y\", ~, null, 1.0]\nb:\n").unwrap();
        let a = doc["a"].as_sequence().unwrap();
        assert_eq!(
            a,
            &[
                s("1e3"),
                s("0o17"),
                s("8.10"),
                s("017"),
                s("yes"),
                s("x"),
                s("y"),
                Value::Null,
                Value::Null,
                s("1.0")
            ]
        );
        assert_eq!(doc["b"], Value::Null);
        assert_eq!(load("'null'").unwrap(), s("null"));
        assert_eq!(load("!!str 1.0").unwrap(), s("1.0"));
        assert_eq!(load("").unwrap(), Value::Null);
    }

    #[test]
    fn anchors_bom_and_errors() {
        let doc = load("\u{feff}x: &p [a, b]\ny: *p\n").unwrap();
        assert_eq!(doc["x"], doc["y"]);
        let e = load("a: 1\na: 2\n").unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (2, "duplicate key `a`"));
        let e = load("a: [\nb: - c\n").unwrap_err();
        assert!(e.line >= 2, "{e}");
        let e = load("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(e.message.contains("single document"), "{e}");
        assert!(
            load("a: !custom x\n")
                .unwrap_err()
                .message
                .contains("unsupported tag")
        );
        assert!(load("a\0b").unwrap_err().message.contains("UTF-16"));
        assert!(
            decode(&[0xff, 0xfe, b'a', 0])
                .unwrap_err()
                .contains("UTF-16")
        );
        assert!(decode(b"a\xffb").unwrap_err().contains("offset 1"));
    }

    #[test]
    fn pathological_documents_fail_fast() {
        // The parser's own recursion limit, or ours.
        for deep in [
            "[".repeat(100_000),
            "a:\n"
                .repeat(2_000)
                .lines()
                .enumerate()
                .map(|(i, l)| format!("{}{l}\n", " ".repeat(i)))
                .collect(),
        ] {
            let e = load(&deep).unwrap_err();
            assert!(
                e.message.contains("nested deeper") || e.message.contains("recursion limit"),
                "{e}"
            );
        }
        // Billion laughs.
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
                p = i - 1
            ));
        }
        let e = load(&doc).unwrap_err();
        assert!(e.message.contains("expands to more than"), "{e}");
    }
}
