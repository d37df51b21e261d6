//! Tests of the RUN/script analysis: one small body per rule of CONTAINERFILE.md A7
//! and A8, the spec's examples, the deliberate improvements, origins, and a property
//! test.

use std::path::Path;

use proptest::prelude::*;

use super::super::{LineMap, NameSet, PackageSets, Vars, Warning};
use super::analyze;

const ARCHES: &[&str] = &["x86_64", "aarch64"];

struct Run {
    sets: PackageSets,
    warnings: Vec<Warning>,
}

fn vars(pairs: &[(&str, &str)]) -> Vars {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn run_with(text: &str, vars: &Vars, arches: &[&str]) -> Run {
    let arches: Vec<String> = arches.iter().map(|a| a.to_string()).collect();
    let mut sets = PackageSets::default();
    let mut warnings = Vec::new();
    let lines = LineMap::new(Path::new("Containerfile"), 1);
    analyze(text, &lines, vars, &arches, &mut sets, &mut warnings);
    Run { sets, warnings }
}

fn run(text: &str) -> Run {
    run_with(text, &Vars::new(), ARCHES)
}

fn names(set: &NameSet) -> Vec<&str> {
    set.keys().map(String::as_str).collect()
}

impl Run {
    fn common(&self) -> Vec<&str> {
        names(&self.sets.install)
    }

    /// Every per-arch set, as `arch: names`, empty ones left out.
    fn arches(&self) -> Vec<String> {
        self.sets
            .arch_install
            .iter()
            .filter(|(_, n)| !n.is_empty())
            .map(|(a, n)| format!("{a}: {}", names(n).join(" ")))
            .collect()
    }

    fn messages(&self) -> Vec<&str> {
        self.warnings.iter().map(|w| w.message.as_str()).collect()
    }
}

// ---------------------------------------------------------------------------------
// A7.1 pre-processing and word text

#[test]
fn double_brackets_and_double_equals_are_rewritten() {
    let r = run("if [[ $(arch) == x86_64 ]]; then dnf install -y a; fi");
    assert_eq!(r.arches(), ["x86_64: a"]);
    assert!(r.common().is_empty());
    // `==` outside the simple test shape still matches the equality pattern.
    let r = run(r#"if [[ "$(uname -m)" == "aarch64" && -f /x ]]; then dnf install -y b; fi"#);
    assert_eq!(r.arches(), ["aarch64: b"]);
}

#[test]
fn word_text_concatenates_quoted_variables() {
    // `"$A"x` is `$Ax`: the variable `Ax` (Q).
    let r = run_with(
        r#"dnf install -y "$A"x"#,
        &vars(&[("A", "no"), ("Ax", "yes")]),
        ARCHES,
    );
    assert_eq!(r.common(), ["yes"]);
    // Single quotes do not stop expansion.
    let r = run_with("dnf install -y '$B'", &vars(&[("B", "bee")]), ARCHES);
    assert_eq!(r.common(), ["bee"]);
    let r = run(r"dnf install -y pkg\$");
    assert!(r.common().is_empty());
}

// ---------------------------------------------------------------------------------
// A7.2 walk

#[test]
fn subshells_groups_for_loops_and_functions_are_walked() {
    let r = run("( dnf install -y a ); { dnf install -y b; }");
    assert_eq!(r.common(), ["a", "b"]);
    let r = run("for x in 1 2; do dnf install -y c-$x d; done");
    // The loop variable is not bound: `c-` is dropped.
    assert_eq!(r.common(), ["d"]);
    let r = run("f() { dnf install -y e; }; function g { dnf install -y f; }");
    assert_eq!(r.common(), ["e", "f"]);
}

#[test]
fn pipelines_process_simple_commands_only() {
    let r = run("dnf install -y a | tee log");
    assert_eq!(r.common(), ["a"]);
    let r = run("! dnf install -y b");
    assert_eq!(r.common(), ["b"]);
    // A compound command in a pipeline is ignored (Q), but reported.
    let r = run("{ dnf install -y c; } 2>&1 | tee log");
    assert!(r.common().is_empty());
    assert_eq!(
        r.messages(),
        [
            "a compound command in a pipeline is not analysed (as in the reference): the \
          packages it installs are not locked"
        ]
    );
}

#[test]
fn command_substitutions_in_arguments_are_ignored_but_reported() {
    let r = run("echo $(dnf install -y x)");
    assert!(r.sets.is_empty());
    assert_eq!(
        r.messages(),
        [
            "a command substitution that runs a package command is not analysed (as in the \
          reference): the packages it installs are not locked"
        ]
    );
    let r = run("echo $(date) && cat <(echo hi)");
    assert!(r.sets.is_empty());
    assert!(r.warnings.is_empty());
}

#[test]
fn brace_group_if_child_is_walked_fresh() {
    // The outer arch context is lost at the `if` (Q).
    let r =
        run("[ $(arch) = x86_64 ] && { if true; then dnf install -y a; fi; dnf install -y b; }");
    assert_eq!(r.common(), ["a"]);
    assert_eq!(r.arches(), ["x86_64: b"]);
}

// ---------------------------------------------------------------------------------
// A7.3 simple command → action

#[test]
fn assignment_prefix_applies_to_the_command() {
    let r = run("P='a b' dnf install -y $P");
    assert_eq!(r.common(), ["a", "b"]);
}

#[test]
fn command_word_is_expanded_and_lower_cased() {
    let r = run_with("${DNF} install -y a", &vars(&[("DNF", "DNF")]), ARCHES);
    assert_eq!(r.common(), ["a"]);
    let r = run("${DNF:-microdnf} install -y b");
    assert_eq!(r.common(), ["b"]);
    let r = run("YUM install c");
    assert_eq!(r.common(), ["c"]);
    for other in [
        "tdnf install -y x",
        "rpm -i x",
        "rpm-ostree install x",
        "yum-builddep x",
        "echo dnf install x",
    ] {
        let r = run(other);
        assert!(r.sets.is_empty(), "{other}");
    }
}

#[test]
fn action_keywords() {
    let r = run("dnf --enablerepo crb -y install a && yum -y update b && yum upgrade c");
    assert_eq!(r.common(), ["a"]);
    assert_eq!(names(&r.sets.upgrade), ["b", "c"]);
    let r = run("dnf reinstall -y d; dnf builddep -y e.spec; dnf build-dep f");
    assert_eq!(names(&r.sets.reinstall), ["d"]);
    assert_eq!(names(&r.sets.builddep), ["e.spec", "f"]);
    let r = run(
        "dnf groupinstall -y g1; dnf group-install g2; dnf -y group install --with-optional g3",
    );
    assert_eq!(r.common(), ["@g1", "@g2", "@g3"]);
    let r = run("dnf group list install; dnf group remove x install");
    assert!(r.sets.is_empty());
    let r = run(
        "dnf module install -y nodejs:18/dev; dnf module -y enable php:8.1; \
         dnf module disable python36; dnf module reset nginx install",
    );
    assert_eq!(r.common(), ["@nodejs:18/dev"]);
    assert_eq!(names(&r.sets.module_enable), ["php:8.1"]);
    assert_eq!(names(&r.sets.module_disable), ["python36"]);
    let r = run(
        "dnf localinstall x; dnf remove y; dnf distro-sync z; dnf swap a b; \
         dnf config-manager --set-enabled crb",
    );
    assert!(r.sets.is_empty());
    for other in [
        "groups",
        "update-minimal",
        "upgrade-minimal",
        "downgrade",
        "erase",
    ] {
        let r = run(&format!("dnf {other} x"));
        assert!(r.sets.is_empty(), "{other}");
    }
    // A keyword later on the line decides.
    let r = run("dnf remove y install z");
    assert_eq!(r.common(), ["z"]);
}

#[test]
fn tokenisation_keeps_words_with_spaces_whole() {
    // `"$PKGS"` has no space in its text: split.
    let r = run_with(
        r#"dnf install -y "$PKGS""#,
        &vars(&[("PKGS", "a b")]),
        ARCHES,
    );
    assert_eq!(r.common(), ["a", "b"]);
    // `${P:-def1 def2}` is one token (Q).
    let r = run("dnf install -y ${P:-def1 def2}");
    assert_eq!(r.common(), ["def1 def2"]);
    // groupinstall: a quoted word is one token.
    let r = run_with(
        r#"dnf groupinstall -y 'Development Tools' "$G" $G"#,
        &vars(&[("G", "Server Tools")]),
        ARCHES,
    );
    assert_eq!(
        r.common(),
        ["@Development Tools", "@Server", "@Server Tools", "@Tools"]
    );
}

// ---------------------------------------------------------------------------------
// A7.4 token filtering and routing

#[test]
fn operators_flags_and_option_values() {
    let r = run("dnf install -y 'python3.12-setuptools >= 70.3.0' a >= 1.0 b==2 '<' c d");
    // `a >= 1.0` is a redirect to the file `=` (Q): `1.0` is a package.
    assert_eq!(
        r.common(),
        ["1.0", "a", "b==2", "d", "python3.12-setuptools"]
    );
    let r = run("dnf install -y --setopt tsflags=nodocs -x foo --nodocs --releasever 9 bar");
    assert_eq!(r.common(), ["9", "bar", "foo", "tsflags=nodocs"]);
    let r = run("dnf install -y --enablerepo x --installroot /mnt p");
    assert_eq!(r.common(), ["/mnt", "p", "x"]);
    let r = run("dnf install -y --setopt=tsflags=nodocs gcc- gcc-${UNKNOWN} ok");
    assert_eq!(r.common(), ["ok"]);
}

#[test]
fn specs_are_kept_verbatim() {
    let r = run(
        "dnf install -y 'golang-*1.23*' @grp n-1.0-1 n.x86_64 'perl(X)' /usr/bin/x ./x.rpm \
         https://h/x.rpm",
    );
    assert_eq!(
        r.common(),
        [
            "./x.rpm",
            "/usr/bin/x",
            "@grp",
            "golang-*1.23*",
            "https://h/x.rpm",
            "n-1.0-1",
            "n.x86_64",
            "perl(X)"
        ]
    );
}

#[test]
fn routing_follows_the_arch_context_for_installs_only() {
    let r = run(
        "[ $(arch) = x86_64 ] && { dnf install -y a; dnf group install -y g; \
         dnf module install -y m:1; dnf upgrade -y u; dnf reinstall -y r; dnf builddep b; \
         dnf module enable e:1; dnf module disable d; }",
    );
    assert_eq!(r.arches(), ["x86_64: @g @m:1 a"]);
    assert!(r.common().is_empty());
    assert_eq!(names(&r.sets.upgrade), ["u"]);
    assert_eq!(names(&r.sets.reinstall), ["r"]);
    assert_eq!(names(&r.sets.builddep), ["b"]);
    assert_eq!(names(&r.sets.module_enable), ["e:1"]);
    assert_eq!(names(&r.sets.module_disable), ["d"]);
}

#[test]
fn whole_system_update_gives_nothing() {
    let r = run("dnf update -y && yum -y upgrade");
    assert!(r.sets.is_empty());
    assert!(r.warnings.is_empty());
}

// ---------------------------------------------------------------------------------
// A7.5 assignments

#[test]
fn assignments_expand_and_overwrite() {
    let r = run_with(
        "A=x; B=\"$A $V y\"; B=$B-z; dnf install -y $B",
        &vars(&[("V", "v")]),
        ARCHES,
    );
    assert_eq!(r.common(), ["v", "x", "y-z"]);
}

#[test]
fn conditional_assignments_append() {
    let r = run("if c; then P=a; else P=b; fi; dnf install -y $P");
    assert_eq!(r.common(), ["a", "b"]);
    // Outside a conditional, the second assignment overwrites.
    let r = run("P=a; P=b; dnf install -y $P");
    assert_eq!(r.common(), ["b"]);
}

#[test]
fn command_substitution_assignments_take_echo_words() {
    let r = run("P=$(echo -n a b); Q=$(cat list); R=`echo c`; dnf install -y $P $Q $R");
    assert_eq!(r.common(), ["a", "b", "c"]);
    // The run stops at `.` (Q).
    let r = run("P=$(echo -n python3.11-devel); dnf install -y $P");
    assert_eq!(r.common(), ["python3"]);
    // Empty echo words leave the variable unset.
    let r = run("P=keep; P=$(printf x); dnf install -y $P");
    assert_eq!(r.common(), ["keep"]);
}

#[test]
fn export_and_friends_are_not_tracked() {
    for set in [
        "export PKGS=\"a b\"",
        "local PKGS=a",
        "declare PKGS=a",
        "readonly PKGS=a",
        "read PKGS",
    ] {
        let r = run(&format!("{set} && dnf install -y $PKGS"));
        assert!(r.sets.is_empty(), "{set}");
    }
}

#[test]
fn arch_context_assignments_are_per_arch_and_raw() {
    let r = run("B=base; if [ $(arch) = x86_64 ]; then P=\"$B a\"; fi; \
         if [ $(arch) = aarch64 ]; then P=c; fi; dnf install -y $P");
    assert!(r.common().is_empty());
    assert_eq!(r.arches(), ["aarch64: c", "x86_64: a base"]);
}

// ---------------------------------------------------------------------------------
// A8.1 arch tests

#[test]
fn arch_keywords_and_normalisation() {
    for (test, arch) in [
        ("$(arch) = x86_64", "x86_64"),
        ("\"$(uname -m)\" = \"aarch64\"", "aarch64"),
        ("$(uname -p) = s390x", "s390x"),
        ("$(go env GOARCH) = amd64", "x86_64"),
        ("$HOSTTYPE = ppc64le", "ppc64le"),
        ("${ARCH} = arm64", "aarch64"),
        ("$GOARCH = x86", "x86"),
    ] {
        let r = run(&format!("if [ {test} ]; then dnf install -y p; fi"));
        assert_eq!(r.arches(), [format!("{arch}: p")], "{test}");
    }
    for test in [
        "$(uname  -m) = x86_64",
        "$TARGETARCH = amd64",
        "$(rpm --eval %_arch) = x86_64",
        "$BASEARCH = x86_64",
    ] {
        let r = run(&format!("if [ {test} ]; then dnf install -y p; fi"));
        assert_eq!(r.common(), ["p"], "{test}");
    }
}

// ---------------------------------------------------------------------------------
// A8.2 if / elif / else

#[test]
fn if_elif_else_spec_example() {
    let r = run(
        "if [ $(arch) = x86_64 ]; then dnf -y install a; elif [ $(arch) = aarch64 ]; then \
         dnf -y install b; else dnf -y install c; fi",
    );
    assert_eq!(r.arches(), ["aarch64: b", "x86_64: a"]);
    assert_eq!(r.common(), ["c"]);
}

#[test]
fn newline_terminated_condition_gives_no_arch() {
    let r = run("if [ $(arch) = x86_64 ]\nthen\n  dnf install -y a\nfi");
    assert_eq!(r.common(), ["a"]);
    assert!(r.arches().is_empty());
    // A condition with an operator is a list even before a newline.
    let r = run("if [ $(arch) = x86_64 ] || [ $(arch) = aarch64 ]\nthen dnf install -y b; fi");
    assert_eq!(r.arches(), ["aarch64: b", "x86_64: b"]);
    // `;` then a newline, or `;` then a comment, is still a list.
    let r = run("if [ $(arch) = x86_64 ];\nthen dnf install -y c; fi");
    assert_eq!(r.arches(), ["x86_64: c"]);
    let r = run("if [ $(arch) = x86_64 ]; # the arch\nthen dnf install -y d; fi");
    assert_eq!(r.arches(), ["x86_64: d"]);
}

#[test]
fn unequal_regex_and_negated_conditions_are_common() {
    for cond in [
        "[ $(arch) != x86_64 ]",
        "! [ $(arch) = x86_64 ]",
        "[ $(arch) =~ x86 ]",
        "[ -f /etc/x ]",
    ] {
        let r = run(&format!("if {cond}; then dnf install -y p; fi"));
        assert_eq!(r.common(), ["p"], "{cond}");
        assert!(r.arches().is_empty(), "{cond}");
    }
}

#[test]
fn condition_commands_are_walked() {
    let r = run("if ! dnf install -y x; then echo failed; fi");
    assert_eq!(r.common(), ["x"]);
    let r = run("if [ $(arch) = x86_64 ] && dnf install -y y; then :; fi");
    assert_eq!(r.arches(), ["x86_64: y"]);
}

#[test]
fn nested_if_loses_the_outer_arch() {
    let r = run(
        "if [ $(arch) = x86_64 ]; then if true; then dnf install -y a; fi; \
         for i in 1; do dnf install -y b; done; [ -f x ] && dnf install -y c; fi",
    );
    assert_eq!(r.common(), ["a"]);
    assert_eq!(r.arches(), ["x86_64: b c"]);
}

// ---------------------------------------------------------------------------------
// A8.3 [ test ] && X / [ test ] || X

#[test]
fn test_lists_spec_examples() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "[ $(arch) != x86_64 ] || dnf install -y p",
            &[],
            &["x86_64: p"],
        ),
        (
            "[ $(arch) = x86_64 ] && dnf install -y p",
            &[],
            &["x86_64: p"],
        ),
        ("[ $(arch) = x86_64 ] || dnf install -y p", &["p"], &[]),
        ("[ $(arch) != x86_64 ] && dnf install -y p", &["p"], &[]),
        (
            "[ $(arch) = x86_64 ] && [ -f y ] && dnf install -y p",
            &["p"],
            &[],
        ),
        (
            "[ $(arch) != x86_64 ] || { dnf install -y a; dnf install -y b; }",
            &[],
            &["x86_64: a b"],
        ),
        (
            "[ $(arch) = x86_64 ] && P=xa; dnf install -y $P",
            &[],
            &["x86_64: xa"],
        ),
        (
            "[ $(arch) = x86_64 -o $(arch) = aarch64 ] && dnf install -y p",
            &[],
            &["aarch64: p", "x86_64: p"],
        ),
    ];
    for (body, common, arches) in cases {
        let r = run(body);
        assert_eq!(&r.common(), common, "{body}");
        assert_eq!(&r.arches(), arches, "{body}");
    }
}

#[test]
fn test_list_parts_are_walked_before_the_rest() {
    // The consumed `P=xa` is processed before the `dnf` that comes first (Q).
    let r = run("dnf install -y $P; [ $(arch) = x86_64 ] && P=xa");
    assert_eq!(r.arches(), ["x86_64: xa"]);
    assert!(r.warnings.is_empty());
}

#[test]
fn test_list_across_lines_of_a_body() {
    let r = run("true\n[ $(arch) = x86_64 ] &&\n  dnf install -y a\ndnf install -y b");
    assert_eq!(r.arches(), ["x86_64: a"]);
    assert_eq!(r.common(), ["b"]);
}

// ---------------------------------------------------------------------------------
// A8.4 arch condition in a command-substitution assignment

#[test]
fn substitution_assignment_spec_example() {
    let r = run(
        r#"EXTRA=$(if [ "$(uname -m)" != "aarch64" ]; then echo -n X; fi) && dnf install -y common $EXTRA"#,
    );
    assert_eq!(r.common(), ["common"]);
    assert_eq!(r.arches(), ["x86_64: X"]);
    assert!(r.warnings.is_empty());
}

#[test]
fn substitution_assignment_if_else_words_all_go_to_the_arch() {
    let r =
        run(r#"X=$(if [ "$(arch)" = x86_64 ]; then echo a; else echo b; fi); dnf install -y $X"#);
    assert!(r.common().is_empty());
    assert_eq!(r.arches(), ["x86_64: a b"]);
    // The other arches lose `b`: said, not silent.
    assert_eq!(
        r.messages(),
        [
            "`X`: the words of every branch are taken for x86_64 only (as in the reference); \
          other arches get none of them"
        ]
    );
}

#[test]
fn substitution_assignment_without_usable_condition_is_common() {
    // An empty complement: the words go to every arch (Q).
    let r = run_with(
        "X=$([ $(arch) != x86_64 ] && echo a); dnf install -y $X",
        &Vars::new(),
        &["x86_64"],
    );
    assert_eq!(r.common(), ["a"]);
    // No configured arches: no condition.
    let r = run_with(
        "X=$([ $(arch) = x86_64 ] && echo a); dnf install -y $X",
        &Vars::new(),
        &[],
    );
    assert_eq!(r.common(), ["a"]);
    // Two `=` values: no condition.
    let r = run("X=$([ $(arch) = x86_64 ] || [ $(arch) = aarch64 ] && echo a); dnf install -y $X");
    assert_eq!(r.common(), ["a"]);
}

// ---------------------------------------------------------------------------------
// A8.5 per-arch variables at the package command

#[test]
fn per_arch_variable_spec_examples() {
    let r = run("P=base; if [ $(arch) = x86_64 ]; then P=\"$P a\"; fi; dnf install -y $P");
    assert_eq!(r.common(), ["base"]);
    assert_eq!(r.arches(), ["x86_64: a"]);
    // Two ifs: each arch its own value
    // (test_double_bracket_conditional_with_quoted_var_install).
    let r = run(
        "if [[ \"$(uname -m)\" == \"x86_64\" ]]; then PKG=\"a\"; fi; \
         if [[ \"$(uname -m)\" == \"aarch64\" ]]; then PKG=\"b\"; fi; dnf install -y \"$PKG\"",
    );
    assert!(r.common().is_empty());
    assert_eq!(r.arches(), ["aarch64: b", "x86_64: a"]);
}

#[test]
fn per_arch_variables_install_whatever_the_action() {
    let r = run(
        "[ $(arch) = x86_64 ] && X=xa; dnf upgrade -y $X u; dnf reinstall $X r; \
         dnf builddep $X; dnf groupinstall $X",
    );
    assert_eq!(r.arches(), ["x86_64: xa"]);
    assert_eq!(names(&r.sets.upgrade), ["u"]);
    assert_eq!(names(&r.sets.reinstall), ["r"]);
    // builddep does not skip the claimed token.
    assert_eq!(names(&r.sets.builddep), ["xa"]);
    assert!(r.common().is_empty());
}

#[test]
fn per_arch_variable_used_marks_prefixes() {
    // `$XY` marks `X` as used; `E` still resolves `XY`.
    let r = run_with(
        "[ $(arch) = x86_64 ] && X=xa; dnf install -y $XY",
        &vars(&[("XY", "xy")]),
        ARCHES,
    );
    assert_eq!(r.common(), ["xy"]);
    assert!(r.arches().is_empty());
}

#[test]
fn else_value_of_an_arch_variable_is_kept_on_every_arch() {
    // The reference loses `b` here (the else value is shadowed by the arch var); we
    // install it on every arch, a superset like its else-branch rule.
    let r = run("if [ $(arch) = x86_64 ]; then P=a; else P=b; fi; dnf install -y $P");
    assert_eq!(r.arches(), ["x86_64: a"]);
    assert_eq!(r.common(), ["b"]);
}

// ---------------------------------------------------------------------------------
// A17 worked example

#[test]
fn worked_example_build_stage_run() {
    let body = "dnf -y install --setopt=tsflags=nodocs $TOOLS golang-$GO_VER* \\\n    \
                && xargs dnf -y install < /tmp/deps.txt \\\n    && setup.sh \\\n    \
                && dnf clean all";
    let r = run_with(
        body,
        &vars(&[("TOOLS", "make gcc"), ("GO_VER", "1.22")]),
        ARCHES,
    );
    assert_eq!(r.common(), ["gcc", "golang-1.22*", "make"]);
    assert!(r.arches().is_empty());
    // The list file is read by the list-file pass: no warning.
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn worked_example_last_stage_run() {
    let body = "microdnf -y install tzdata && microdnf -y reinstall glibc-langpack-en \\\n \
                && if [ \"$(uname -m)\" = \"x86_64\" ]; then microdnf -y install intel-tool; fi";
    let r = run(body);
    assert_eq!(r.common(), ["tzdata"]);
    assert_eq!(r.arches(), ["x86_64: intel-tool"]);
    assert_eq!(names(&r.sets.reinstall), ["glibc-langpack-en"]);
}

#[test]
fn worked_example_setup_script() {
    // `setup.sh` after A9.4: comments dropped, continuations joined.
    let body = "set -e\nyum install -y rpm-build\nif [ $(arch) = aarch64 ]\nthen\n\
                yum install -y arm-helper\nfi";
    let r = run(body);
    // `arm-helper` is common: the newline-terminated condition (Q).
    assert_eq!(r.common(), ["arm-helper", "rpm-build"]);
    assert!(r.arches().is_empty());
}

// ---------------------------------------------------------------------------------
// Improvements over the reference

#[test]
fn case_arms_are_common_with_a_warning() {
    let r = run(
        "case $(arch) in\n  x86_64) dnf install -y a ;;\n  *) dnf install -y b ;;\nesac\n\
         dnf install -y c",
    );
    assert_eq!(r.common(), ["a", "b", "c"]);
    assert_eq!(
        r.messages(),
        ["packages in the branches of this case statement are taken for every arch"]
    );
    // Assignments in an arm append like in an else branch, and are reported too.
    let r = run("P=a; case x in x) P=b ;; esac; dnf install -y $P");
    assert_eq!(r.common(), ["a", "b"]);
    assert_eq!(r.warnings.len(), 1);
    // An arm that contributes nothing: nothing to say.
    let r = run("case $1 in -h) echo usage; exit 0 ;; esac");
    assert!(r.warnings.is_empty());
}

#[test]
fn loops_are_walked_as_conditional_code() {
    let r = run("until dnf install -y a; do sleep 5; done; while false; do dnf install -y b; done");
    assert_eq!(r.common(), ["a", "b"]);
    let r = run("[ $(arch) = x86_64 ] && while true; do dnf install -y c; done");
    assert_eq!(r.arches(), ["x86_64: c"]);
}

#[test]
fn constructs_bashlex_rejects_are_analysed() {
    for body in [
        "time dnf install -y p",
        "N=$((1 + 2)); dnf install -y p",
        "A=(x y); dnf install -y p",
        "for ((i = 0; i < 1; i++)); do dnf install -y p; done",
        "cat <<'EOF' > /etc/x\n[x]\nEOF\ndnf install -y p",
        "coproc { dnf install -y p; }",
    ] {
        let r = run(body);
        assert_eq!(r.common(), ["p"], "{body}");
    }
}

#[test]
fn constructs_brush_rejects_too_give_a_warning() {
    for body in [
        "select x in a b; do dnf install -y p; done",
        "dnf install -y p; ;",
    ] {
        let r = run(body);
        assert!(r.sets.is_empty(), "{body}");
        assert_eq!(r.warnings.len(), 1, "{body}");
    }
}

#[test]
fn unparsable_body_gives_one_warning() {
    let text = "dnf install -y a\necho 'unterminated";
    let mut lines = LineMap::new(Path::new("Containerfile"), 3);
    lines.push(17, 4);
    let mut sets = PackageSets::default();
    let mut warnings = Vec::new();
    analyze(text, &lines, &Vars::new(), &[], &mut sets, &mut warnings);
    assert!(sets.is_empty());
    assert_eq!(
        warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "Containerfile:4: cannot parse this shell code (unterminated single quote at 2,6 \
          (detected near line 2 col 19)): its package commands are not analysed"
        ]
    );
    // brush-parser would panic on this descriptor number.
    let r = run("dnf install -y a; 99999999999>x");
    assert!(r.sets.is_empty());
    assert_eq!(
        r.messages(),
        [
            "cannot parse this shell code (file descriptor number out of range): its package \
          commands are not analysed"
        ]
    );
}

#[test]
fn unexpandable_arguments_are_reported() {
    let r = run(
        "dnf install -y $(cat list) ${X/a/b} ok --setopt=x=$(y) --releasever $(rpm -E %rhel) \
         -x $(cat excl)",
    );
    assert_eq!(r.common(), ["ok"]);
    assert_eq!(
        r.messages(),
        [
            "cannot expand `$(cat list)` in `dnf install`: not locked",
            "cannot expand `${X/a/b}` in `dnf install`: not locked",
        ]
    );
    let r = run("A=(x y); dnf install -y \"${A[@]}\"");
    assert_eq!(
        r.messages(),
        ["cannot expand `${A[@]}` in `dnf install`: not locked"]
    );
}

#[test]
fn command_words_with_paths_wrappers_and_other_names() {
    for body in [
        "/usr/bin/dnf install -y p",
        "dnf5 install -y p",
        "dnf-3 install -y p",
        "sudo dnf install -y p",
        "sudo -E -u root dnf install -y p",
        "env LANG=C dnf install -y p",
        "env -i PATH=/usr/bin -u HOME -- /usr/bin/yum install -y p",
        "sudo env A=b microdnf install -y p",
    ] {
        let r = run(body);
        assert_eq!(r.common(), ["p"], "{body}");
    }
}

#[test]
fn bash_c_scripts_are_analysed() {
    for body in [
        "bash -c 'dnf install -y p'",
        "sh -ec \"dnf install -y p\"",
        "/bin/bash -o pipefail -xc 'set -e; dnf install -y p'",
    ] {
        let r = run(body);
        assert_eq!(r.common(), ["p"], "{body}");
    }
    let r = run_with(
        "bash -c \"dnf install -y $P\"",
        &vars(&[("P", "q")]),
        ARCHES,
    );
    assert_eq!(r.common(), ["q"]);
    let r = run("[ $(arch) = x86_64 ] && bash -c 'dnf install -y a'");
    assert_eq!(r.arches(), ["x86_64: a"]);
    let r = run("bash -c 'if [ $(arch) = aarch64 ]; then dnf install -y b; fi'");
    assert_eq!(r.arches(), ["aarch64: b"]);
    // A script file is left to the script pass.
    let r = run("bash /tmp/x.sh");
    assert!(r.sets.is_empty() && r.warnings.is_empty());
}

#[test]
fn hidden_package_commands_are_reported() {
    let r = run("eval \"$CMD\" && dnf install -y a");
    assert_eq!(r.common(), ["a"]);
    assert_eq!(
        r.messages(),
        ["`eval` runs code rpmlock does not analyse: packages installed there are not locked"]
    );
    let r = run(". /tmp/env.sh && dnf install -y a");
    assert_eq!(
        r.messages(),
        [
            "`. /tmp/env.sh` runs a file rpmlock does not read: packages installed there are not locked"
        ]
    );
    // Without a package manager on the line, nothing to say.
    let r = run("source /etc/os-release\necho hi");
    assert!(r.warnings.is_empty());
    let r = run("echo a b | xargs dnf install -y");
    assert_eq!(
        r.messages(),
        [
            "`xargs dnf install` is not analysed (rpmlock does not look through `xargs`): its \
          packages are not locked"
        ]
    );
    let r = run("exec dnf install -y a");
    assert!(r.sets.is_empty());
    assert_eq!(
        r.messages(),
        [
            "`exec dnf install` is not analysed (rpmlock does not look through `exec`): its \
          packages are not locked"
        ]
    );
    // The list-file pass reads these.
    let r = run("xargs dnf install -y < /tmp/l; cat /tmp/l | xargs dnf install -y");
    assert!(r.warnings.is_empty());
    // Commands that merely name dnf.
    let r = run("rpm -q dnf; command -v dnf; echo dnf install");
    assert!(r.warnings.is_empty());
}

#[test]
fn nested_subshells_brush_reads_as_arithmetic_are_analysed() {
    let r = run("( ( dnf install -y p ) ); ( ( ( dnf install -y q ) ) )");
    assert_eq!(r.common(), ["p", "q"]);
    let r = run("(( x = 1 )); ((y++))");
    assert!(r.sets.is_empty() && r.warnings.is_empty());
}

#[test]
fn deep_nesting_is_refused_not_crashed() {
    for (open, close) in [
        ("( ", " )"),
        ("$(", ")"),
        ("if true; then ", "; fi"),
        ("{ ", "; }"),
        ("for x in 1; do ", "; done"),
        ("case a in a) ", ";; esac"),
        ("f() { ", "; }"),
        ("$(case a in a) ", ";; esac)"),
    ] {
        let body = format!(
            "{}dnf install -y p{}",
            open.repeat(5000),
            close.repeat(5000)
        );
        let r = run(&body);
        assert!(r.sets.is_empty(), "{open}");
        assert_eq!(
            r.messages(),
            [
                "cannot parse this shell code (nested more than 64 levels deep): its package \
              commands are not analysed"
            ],
            "{open}"
        );
    }
    // Nesting as deep as real code goes is fine.
    let body = format!("{}dnf install -y p{}", "{ ".repeat(60), "; }".repeat(60));
    assert_eq!(run(&body).common(), ["p"]);
}

#[test]
fn package_commands_inside_other_commands_words_are_reported() {
    let r = run("su -c 'dnf install -y x' root");
    assert!(r.sets.is_empty());
    assert_eq!(
        r.messages(),
        [
            "`su` runs `dnf install -y x`, which rpmlock does not analyse: its packages are not \
          locked"
        ]
    );
}

#[test]
fn unset_variables_in_package_arguments_are_reported() {
    let message = |name: &str| {
        format!(
            "`${name}` is not set where rpmlock can see it (a loop variable, `read`, `export`, \
             or an ARG without a value?): `dnf install` gets nothing from it"
        )
    };
    let r = run("for p in a b; do dnf install -y $p; done");
    assert!(r.sets.is_empty());
    assert_eq!(r.messages(), [message("p")]);
    let r = run(r#"export PKGS="a b" && dnf install -y ${PKGS}"#);
    assert_eq!(r.messages(), [message("PKGS")]);
    let r = run("while read p; do dnf install -y \"$p\"; done < list");
    assert_eq!(r.messages(), [message("p")]);
    // Set by ENV, by the shell, per arch, or with a default: nothing to say; nor for
    // option values.
    let r = run_with(
        "P=a; [ $(arch) = x86_64 ] && Q=b; dnf install -y $E $P ${Q} ${U:-d} ${V:+v} \
         --releasever $R --setopt=x=$S",
        &vars(&[("E", "e")]),
        ARCHES,
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.common(), ["a", "d", "e"]);
}

#[test]
fn append_assignment_appends() {
    let r = run("P=a; P+=\" b\"; dnf install -y $P");
    assert_eq!(r.common(), ["a", "b"]);
    let r = run_with(
        "P+=\" b\"; Q+=c; dnf install -y $P $Q",
        &vars(&[("P", "a")]),
        ARCHES,
    );
    assert_eq!(r.common(), ["a", "b", "c"]);
}

// ---------------------------------------------------------------------------------
// Origins

#[test]
fn origins_follow_the_line_map() {
    // A script body: lines 2.. of `setup.sh`, the `[[` rewrite shifting offsets.
    let text = "[[ $(arch) == x86_64 ]] && A=1\ndnf install -y \\\n  a \\\n  b\n\
                if [[ $(arch) == aarch64 ]]; then dnf install -y c $(cat l); fi";
    let mut lines = LineMap::new(Path::new("setup.sh"), 2);
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        lines.push(offset, i + 2);
        offset += line.len();
    }
    let mut sets = PackageSets::default();
    let mut warnings = Vec::new();
    let arches = vec!["x86_64".to_string(), "aarch64".to_string()];
    analyze(
        text,
        &lines,
        &Vars::new(),
        &arches,
        &mut sets,
        &mut warnings,
    );
    let line_of = |set: &NameSet, name: &str| -> Vec<String> {
        set.get(name)
            .map(|o| o.iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    };
    assert_eq!(line_of(&sets.install, "a"), ["setup.sh:4"]);
    assert_eq!(line_of(&sets.install, "b"), ["setup.sh:5"]);
    assert_eq!(line_of(&sets.arch_install["aarch64"], "c"), ["setup.sh:6"]);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].origin.to_string(), "setup.sh:6");
    // The same name from two places keeps both origins.
    let text = "dnf install -y a\ndnf install -y a";
    let mut lines = LineMap::new(Path::new("Containerfile"), 7);
    lines.push(17, 9);
    let mut sets = PackageSets::default();
    analyze(
        text,
        &lines,
        &Vars::new(),
        &arches,
        &mut sets,
        &mut Vec::new(),
    );
    assert_eq!(
        line_of(&sets.install, "a"),
        ["Containerfile:7", "Containerfile:9"]
    );
}

#[test]
fn origins_count_bytes_of_multibyte_text() {
    // brush counts chars; origins are byte offsets of the original text.
    let text = "echo 'héllo wörld ✓' [[ x ]] && \\\n  dnf install -y pkg-ü\n[[ $(arch) == x86_64 ]] \
                && dnf install -y ✓";
    let mut lines = LineMap::new(Path::new("Containerfile"), 10);
    // Lines change right at the words, so an offset a few bytes early is caught.
    let second = text.find("pkg-ü").unwrap_or(0);
    let third = text.rfind('✓').unwrap_or(0);
    lines.push(second, 11);
    lines.push(third, 12);
    let mut sets = PackageSets::default();
    let arches = vec!["x86_64".to_string()];
    analyze(
        text,
        &lines,
        &Vars::new(),
        &arches,
        &mut sets,
        &mut Vec::new(),
    );
    assert_eq!(
        sets.install["pkg-ü"]
            .iter()
            .map(|o| o.line)
            .collect::<Vec<_>>(),
        [11]
    );
    assert_eq!(
        sets.arch_install["x86_64"]["✓"]
            .iter()
            .map(|o| o.line)
            .collect::<Vec<_>>(),
        [12]
    );
}

#[test]
fn origins_of_nested_scripts_and_case_warnings() {
    let text = "true\nbash -c 'true\ndnf install -y a'\ncase x in\n x) dnf install -y b;;\nesac";
    let mut lines = LineMap::new(Path::new("Containerfile"), 1);
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        lines.push(offset, i + 1);
        offset += line.len();
    }
    let mut sets = PackageSets::default();
    let mut warnings = Vec::new();
    analyze(text, &lines, &Vars::new(), &[], &mut sets, &mut warnings);
    assert_eq!(
        sets.install["a"].iter().map(|o| o.line).collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(
        sets.install["b"].iter().map(|o| o.line).collect::<Vec<_>>(),
        [5]
    );
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].origin.line, 4);
}

// ---------------------------------------------------------------------------------
// Property test

fn all_names(sets: &PackageSets) -> Vec<&String> {
    sets.install
        .keys()
        .chain(sets.arch_install.values().flat_map(|s| s.keys()))
        .chain(sets.upgrade.keys())
        .chain(sets.reinstall.keys())
        .chain(sets.builddep.keys())
        .chain(sets.module_enable.keys())
        .chain(sets.module_disable.keys())
        .collect()
}

/// Shell-ish text: fragments that exercise the analysis, glued with separators, plus
/// arbitrary noise.
fn shellish() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("dnf install -y ".to_string()),
        Just("yum -y upgrade ".to_string()),
        Just("if [ $(arch) = x86_64 ]; then ".to_string()),
        Just("[[ $ARCH == aarch64 ]] && ".to_string()),
        Just("; fi".to_string()),
        Just("P=$(echo -n a) ".to_string()),
        Just("bash -c '".to_string()),
        Just("case x in x) ".to_string()),
        Just(";; esac".to_string()),
        Just("\"$P\" ".to_string()),
        Just("${X:-a b} ".to_string()),
        Just(" | ".to_string()),
        Just("\n".to_string()),
        Just("for x in a; do ".to_string()),
        Just("; done".to_string()),
        Just("( ( ".to_string()),
        Just(" ) )".to_string()),
        Just("$((1+".to_string()),
        Just("<<EOF\nx\nEOF\n".to_string()),
        Just("99999999999>x ".to_string()),
        Just("sudo env A=1 /usr/bin/dnf5 ".to_string()),
        Just("xargs dnf install < f ".to_string()),
        Just("X=$(if [ \"$(uname -m)\" != s390x ]; then echo -n q; fi) ".to_string()),
        Just("elif [ $GOARCH == arm64 ]; then ".to_string()),
        Just("else ".to_string()),
        "[a-z$ -]{0,8}",
        any::<String>(),
    ];
    prop::collection::vec(fragment, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn analyze_never_panics_and_adds_clean_names(text in shellish()) {
        let r = run(&text);
        for name in all_names(&r.sets) {
            prop_assert!(!name.contains('$'), "{name:?} from {text:?}");
            prop_assert!(!name.starts_with('-'), "{name:?} from {text:?}");
        }
    }
}
