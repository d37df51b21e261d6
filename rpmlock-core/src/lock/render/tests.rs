//! Rendering tests: scalar style rules, folding, and a differential test against
//! PyYAML itself.

use std::io::Write as _;
use std::process::{Command, Stdio};

use super::*;

fn plain(s: &str) -> bool {
    !resolves_to_non_str(s) && analyze_scalar(s).allow_block_plain
}

/// The rendering of `s` as the value of a top-level key.
fn value(s: &str) -> String {
    let mut e = Emitter::new();
    e.document(&Node::Map(vec![("k", Node::Str(s))]));
    e.out
        .strip_prefix("---\nk: ")
        .and_then(|v| v.strip_suffix('\n'))
        .expect("one line")
        .to_string()
}

/// Strings and how PyYAML 6.0's `yaml.dump` writes them as a mapping value (also
/// checked against PyYAML itself by `pyyaml_agrees_byte_for_byte`).
const STYLE_CASES: &[(&str, &str)] = &[
    ("bash", "bash"),
    ("yes", "'yes'"),
    ("No", "'No'"),
    ("on", "'on'"),
    ("OFF", "'OFF'"),
    ("y", "y"),
    ("n", "n"),
    ("yEs", "yEs"),
    ("null", "'null'"),
    ("~", "'~'"),
    ("", "''"),
    ("123", "'123'"),
    ("-7", "'-7'"),
    ("0o17", "0o17"),
    ("017", "'017'"),
    ("08", "08"),
    ("1e3", "1e3"),
    ("1.5", "'1.5'"),
    ("1.", "'1.'"),
    (".5", "'.5'"),
    ("6.8e+5", "'6.8e+5'"),
    ("6.8e5", "6.8e5"),
    ("0x1F", "'0x1F'"),
    ("0b101", "'0b101'"),
    ("1_000", "'1_000'"),
    ("1:20", "'1:20'"),
    ("1:60", "1:60"),
    ("1:20.5", "'1:20.5'"),
    (".inf", "'.inf'"),
    ("-.Inf", "'-.Inf'"),
    (".NaN", "'.NaN'"),
    ("2001-12-14", "'2001-12-14'"),
    (
        "2001-12-14t21:59:43.10-05:00",
        "'2001-12-14t21:59:43.10-05:00'",
    ),
    ("2001-1-4", "2001-1-4"),
    ("<<", "'<<'"),
    ("=", "'='"),
    ("-foo", "-foo"),
    ("- foo", "'- foo'"),
    ("-", "'-'"),
    ("foo: bar", "'foo: bar'"),
    ("foo:bar", "foo:bar"),
    ("foo:", "'foo:'"),
    ("a #b", "'a #b'"),
    ("a#b", "a#b"),
    ("#a", "'#a'"),
    ("'quoted'", "'''quoted'''"),
    ("\"dq\"", "'\"dq\"'"),
    ("a'b", "a'b"),
    ("[a]", "'[a]'"),
    ("a[1]", "a[1]"),
    ("{a}", "'{a}'"),
    ("a,b", "a,b"),
    ("? x", "'? x'"),
    ("?x", "?x"),
    ("%x", "'%x'"),
    ("@x", "'@x'"),
    ("`x", "'`x'"),
    ("!x", "'!x'"),
    ("&x", "'&x'"),
    ("*x", "'*x'"),
    ("|", "'|'"),
    (">", "'>'"),
    ("---", "'---'"),
    ("...", "'...'"),
    ("--x", "--x"),
    (" lead", "' lead'"),
    ("trail ", "'trail '"),
    ("é", "\"\\xE9\""),
    ("日本", "\"\\u65E5\\u672C\""),
    ("😀", "\"\\U0001F600\""),
    ("tab\there", "\"tab\\there\""),
    ("a\\b", "a\\b"),
    ("a\"b\\", "a\"b\\"),
    ("\u{7f}", "\"\\x7F\""),
    ("nb\u{a0}sp", "\"nb\\_sp\""),
];

#[test]
fn scalar_styles_match_pyyaml() {
    for (s, want) in STYLE_CASES {
        assert_eq!(value(s), *want, "{s:?}");
    }
    assert!(plain("x86_64"));
    assert!(plain("sha256:0c2f"));
    assert!(plain("https://example.com/a%20b/c.rpm?x=1&y=2#frag"));
    assert!(plain("1:5.1.8-9.el9"));
}

#[test]
fn resolvers() {
    for s in [
        "0", "+0", "-0_", "0b", "0x", "0xg", "1__", "_1", "1:2:3", "12:345",
    ] {
        let _ = is_int(s);
    }
    assert!(is_int("0"));
    assert!(is_int("-0_"));
    assert!(!is_int("0b"));
    assert!(!is_int("0x"));
    assert!(!is_int("0xg"));
    assert!(is_int("1__"));
    assert!(!is_int("_1"));
    assert!(is_int("1:2:3"));
    assert!(!is_int("12:345"));
    assert!(is_float("1:2:3."));
    assert!(!is_float("1e3"));
    assert!(is_float("1.e-3"));
    assert!(!is_float("1.e3"));
    assert!(!is_float("+.nan"));
    assert!(is_float("+.inf"));
    assert!(is_timestamp("2001-12-14 21:59:43.10 -5"));
    assert!(is_timestamp("2001-12-14T21:59:43Z"));
    assert!(!is_timestamp("2001-12-14T21:59:43 Z1"));
    assert!(!is_timestamp("2001-12-1"));
    assert!(!is_timestamp("2001-12-14T"));
}

fn pkg(s: &str, sourcerpm: Option<&str>) -> LockedPackage {
    LockedPackage::new(s, s, 42, s, s, s, sourcerpm.map(str::to_string))
}

/// A lock with `s` in every string field.
fn lock_with(s: &str) -> Lockfile {
    let mut arch = ArchLock::new(s);
    arch.packages.push(pkg(s, Some(s)));
    arch.source.push(pkg(s, None));
    arch.module_metadata.push(ModuleMetadata::new(s, s, 7, s));
    Lockfile::new(vec![arch])
}

/// Strings that exercise every style rule, the resolvers and folding.
fn tricky_strings() -> Vec<String> {
    let atoms = [
        "",
        "y",
        "yes",
        "No",
        "on",
        "OFF",
        "True",
        "null",
        "~",
        "123",
        "0o17",
        "017",
        "08",
        "1e3",
        "1.5",
        "6.8e+5",
        "0x1F",
        "0b101",
        "1_000",
        "1:20",
        "1:20.5",
        ".inf",
        "-.Inf",
        ".NaN",
        ".5",
        "2001-12-14",
        "2001-12-14 21:59:43.10 -5",
        "-",
        "- ",
        "-foo",
        ":",
        ": ",
        "foo: bar",
        "a #b",
        "#",
        "'",
        "\"",
        "\\",
        "é",
        "😀",
        "\t",
        "\n",
        "\n\n",
        " ",
        "  ",
        "---",
        "...",
        "<<",
        "=",
        "!",
        "&",
        "*",
        "|",
        ">",
        "%",
        "@",
        "`",
        "?",
        "? ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "\u{85}",
        "\u{a0}",
        "\u{feff}",
        "\u{2028}",
        "\r",
        "\0",
        "\u{7f}",
        "x",
        "bash",
        "https://example.com/p/a.rpm",
    ];
    let mut out: Vec<String> = atoms.iter().map(|s| s.to_string()).collect();
    out.extend(STYLE_CASES.iter().map(|(s, _)| s.to_string()));
    let small = [
        "",
        "y",
        "1",
        "0",
        ".",
        ":",
        "-",
        " ",
        "#",
        "'",
        "\n",
        "é",
        "x",
        "e+5",
        "_",
        "2001-12-14",
    ];
    for a in small {
        for b in small {
            for c in ["", "0", " x", "\n"] {
                out.push(format!("{a}{b}{c}"));
            }
        }
    }
    // Deterministic pseudo-random strings from a tricky alphabet.
    let alphabet: Vec<char> = "01789_:.-+eExob ayYnNtT~#'\"\\\n\té!&*%@`?[]{},|>=<"
        .chars()
        .collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..1500 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 9) as usize;
        let s: String = (0..len)
            .map(|i| alphabet[((state >> (i * 6)) % alphabet.len() as u64) as usize])
            .collect();
        out.push(s);
    }
    // Long strings: folding of plain, single- and double-quoted scalars at width 80.
    let words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor";
    for prefix in ["", "'", "é ", "@", "a\n"] {
        for n in [60, 75, 80, 85, 100, 170] {
            let mut s = String::from(prefix);
            while s.chars().count() < n {
                s.push_str(words);
                s.push(' ');
            }
            let cut: String = s.chars().take(n).collect();
            out.push(cut.clone());
            out.push(cut.replace(' ', "  "));
            out.push(cut.replace(' ', "é"));
            out.push(format!("{cut}x"));
        }
    }
    out.push(format!("{}\\{}", "a".repeat(79), "b c".repeat(30)));
    out.push(format!("é{}", "é ".repeat(60)));
    out
}

/// JSON string literal.
fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Checks in PyYAML that each rendered document (a) loads back with `yaml.safe_load`
/// to exactly `s` in every string field and 42/7 in the sizes, and (b) is what the
/// prototype's `yaml.dump(data, sort_keys=False, explicit_start=True)` writes for the
/// loaded data.
#[test]
fn pyyaml_agrees_byte_for_byte() {
    let strings = tricky_strings();
    let payload: Vec<String> = strings
        .iter()
        .map(|s| format!("[{},{}]", json_str(s), json_str(&lock_with(s).render())))
        .collect();
    let payload = format!("[{}]", payload.join(","));
    let script = r#"
import json, sys
try:
    import yaml
except ImportError:
    print("SKIP"); sys.exit(0)
bad = []
for s, doc in json.loads(sys.stdin.read()):
    data = yaml.safe_load(doc)
    pkg = {"url": s, "repoid": s, "size": 42, "checksum": s, "name": s, "evr": s}
    src = dict(pkg)
    if s:
        pkg["sourcerpm"] = s
    want = {"lockfileVersion": 1, "lockfileVendor": "redhat", "arches": [{
        "arch": s, "packages": [pkg], "source": [src],
        "module_metadata": [{"url": s, "repoid": s, "size": 7, "checksum": s}]}]}
    if data != want:
        bad.append("load %r:\n%s" % (s, doc))
        continue
    dumped = yaml.dump(data, sort_keys=False, explicit_start=True)
    if dumped != doc:
        bad.append("dump %r:\n--- pyyaml\n%s--- rpmlock\n%s" % (s, dumped, doc))
print("\n\n".join(bad[:8]) + "\n(%d differ)" % len(bad) if bad else "OK")
"#;
    let child = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return crate::config::tests_support::reference_missing("/usr/bin/python3");
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload.as_bytes())
        .expect("write payload");
    let out = child.wait_with_output().expect("python ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if stdout.trim() == "SKIP" {
        return crate::config::tests_support::reference_missing("PyYAML (python3-yaml)");
    }
    assert_eq!(stdout.trim(), "OK", "{} strings checked", strings.len());
}
