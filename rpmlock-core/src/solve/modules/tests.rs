use super::*;

fn stream(name: &str, stream: &str, requires: &[(&str, &[&str])]) -> ModuleStream {
    let yaml = format!(
        "---\ndocument: modulemd\nversion: 2\ndata:\n  name: {name}\n  stream: {stream}\n  version: 1\n  context: c1\n  arch: noarch\n  dependencies:\n  - requires: {{{}}}\n  artifacts:\n    rpms: [{name}-0:{stream}-1.noarch]\n",
        requires
            .iter()
            .map(|(m, s)| format!("{m}: [{}]", s.join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    crate::repo::parse_modules(&yaml).unwrap().streams.remove(0)
}

fn defaults(module: &str, stream: &str, modified: u64) -> ModuleDefaults {
    let yaml = format!(
        "---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: {module}\n  stream: {stream}\n  modified: {modified}\n"
    );
    crate::repo::parse_modules(&yaml)
        .unwrap()
        .defaults
        .remove(0)
}

/// The active `name:stream`s.
fn active(
    streams: &[ModuleStream],
    defs: &[ModuleDefaults],
    enabled: &[(&str, &str)],
    disabled: &[&str],
    platform: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let req = ModuleRequest {
        streams: streams.iter().collect(),
        defaults: defs.iter().collect(),
        enabled: enabled
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect(),
        disabled: disabled.iter().map(|s| s.to_string()).collect(),
        platform: platform.map(str::to_string),
    };
    let out = solve_modules("x86_64", &req).unwrap();
    let severity = out.problems;
    assert_eq!(severity == ModuleProblems::None, out.warnings.is_empty());
    let mut names: Vec<String> = out
        .active
        .iter()
        .map(|&i| streams[i].name_stream())
        .collect();
    names.sort();
    (names, out.warnings)
}

fn repo() -> (Vec<ModuleStream>, Vec<ModuleDefaults>) {
    (
        vec![
            stream("app", "1", &[]),
            stream("app", "2", &[]),
            stream("tool", "a", &[("dep", &["s2"])]),
            stream("dep", "s1", &[]),
            stream("dep", "s2", &[]),
            stream("any", "x", &[("dep", &[])]),
            stream("notone", "x", &[("dep", &["-s1"])]),
            stream("plat", "el8", &[("platform", &["el8"])]),
        ],
        vec![defaults("app", "1", 1), defaults("plat", "el8", 1)],
    )
}

#[test]
fn defaults_are_active_unless_disabled_or_unsatisfiable() {
    let (s, d) = repo();
    let (names, warnings) = active(&s, &d, &[], &[], None);
    // plat:el8 needs module(platform:el8): no platform is known, so it is dropped
    // with a warning (dnf: "Modular dependency problem with Defaults").
    assert_eq!(names, ["app:1"]);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains(
            "nothing provides module(platform:el8) needed by module plat:el8:1:c1.noarch"
        ),
        "{warnings:?}"
    );
    let (names, warnings) = active(&s, &d, &[], &[], Some("el8"));
    assert_eq!(names, ["app:1", "plat:el8"]);
    assert!(warnings.is_empty());
    let (names, _) = active(&s, &d, &[], &["app"], Some("el8"));
    assert_eq!(names, ["plat:el8"]);
}

#[test]
fn an_enabled_stream_replaces_the_default() {
    let (s, d) = repo();
    let (names, warnings) = active(&s, &d, &[("app", "2")], &[], Some("el8"));
    assert_eq!(names, ["app:2", "plat:el8"]);
    assert!(warnings.is_empty());
}

#[test]
fn requirements_activate_other_streams() {
    let (s, d) = repo();
    let (names, _) = active(&s, &d, &[("tool", "a")], &[], Some("el8"));
    assert_eq!(names, ["app:1", "dep:s2", "plat:el8", "tool:a"]);
    // `[]`: any stream; `-s1`: any stream but s1.
    let (names, _) = active(&s, &d, &[("any", "x")], &[], Some("el8"));
    assert!(names.iter().any(|n| n.starts_with("dep:")), "{names:?}");
    let (names, _) = active(&s, &d, &[("notone", "x")], &[], Some("el8"));
    assert!(names.contains(&"dep:s2".to_string()), "{names:?}");
    // The required stream conflicts with an enabled one: every job becomes weak and
    // libsolv drops one of them; one stream per module stays active.
    let (names, warnings) = active(&s, &d, &[("tool", "a"), ("dep", "s1")], &[], None);
    assert!(
        !(names.contains(&"tool:a".to_string()) && names.contains(&"dep:s1".to_string())),
        "{names:?}"
    );
    assert_eq!(names.iter().filter(|n| n.starts_with("dep:")).count(), 1);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
}

#[test]
fn conflicting_defaults_resolve_by_modified() {
    let a = defaults("m", "1", 5);
    let b = defaults("m", "2", 7);
    let c = defaults("m", "3", 7);
    assert_eq!(merged_defaults(&[&a, &b])["m"].stream.as_deref(), Some("2"));
    assert_eq!(merged_defaults(&[&a, &b, &c])["m"].stream, None);
    assert_eq!(merged_defaults(&[&a, &a])["m"].stream.as_deref(), Some("1"));
}

#[test]
fn filter_splits_modular_and_active() {
    let (s, _) = repo();
    let refs: Vec<&ModuleStream> = s.iter().collect();
    let f = ModuleFilter::new(&refs, &[1]);
    assert!(f.is_modular("app", "1-1", "noarch"));
    assert!(
        f.active
            .contains(&("app".into(), "2-1".into(), "noarch".into()))
    );
    assert!(
        !f.active
            .contains(&("app".into(), "1-1".into(), "noarch".into()))
    );
    assert!(f.active_names.contains("app"));
    assert!(!f.is_modular("app", "3-1", "noarch"));
}

fn with_profiles() -> (Vec<ModuleStream>, BTreeMap<String, ModuleDefaults>) {
    let yaml = "---\ndocument: modulemd\nversion: 2\ndata:\n  name: app\n  stream: 1\n  version: 1\n  profiles:\n    default: {rpms: [app]}\n    full: {rpms: [app, app-extras]}\n---\ndocument: modulemd\nversion: 2\ndata:\n  name: app\n  stream: 2\n  version: 1\n  profiles:\n    default: {rpms: [app2]}\n---\ndocument: modulemd\nversion: 2\ndata:\n  name: tool\n  stream: a\n  version: 1\n  profiles:\n    common: {rpms: [tool]}\n---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: app\n  stream: 1\n  profiles:\n    1: [default]\n    2: [default]\n";
    let m = crate::repo::parse_modules(yaml).unwrap();
    let defaults = merged_defaults(&m.defaults.iter().collect::<Vec<_>>());
    (m.streams, defaults)
}

#[test]
fn module_specs_read_like_dnf_install() {
    let (s, d) = with_profiles();
    let streams: Vec<&ModuleStream> = s.iter().collect();
    let install = |spec: &str, enabled: &[(String, String)]| {
        module_install(spec, &streams, &d, enabled).map(|o| o.map(|i| (i.stream, i.packages)))
    };
    // Default stream, default profile.
    assert_eq!(
        install("app", &[]).unwrap(),
        Some(("1".into(), vec!["app".into()]))
    );
    assert_eq!(
        install("app/full", &[]).unwrap(),
        Some(("1".into(), vec!["app".into(), "app-extras".into()]))
    );
    // The enabled stream wins over the default.
    let enabled = [("app".to_string(), "2".to_string())];
    assert_eq!(
        install("app", &enabled).unwrap(),
        Some(("2".into(), vec!["app2".into()]))
    );
    assert_eq!(
        install("app:2/default", &[]).unwrap(),
        Some(("2".into(), vec!["app2".into()]))
    );
    // Not a module (a group may match): None.
    assert_eq!(install("nosuch", &[]).unwrap(), None);
    assert_eq!(install("app:9", &[]).unwrap(), None);
    // Errors in dnf's words.
    let e = install("app:1/nosuch", &[]).unwrap_err().to_string();
    assert_eq!(
        e,
        "Unable to match profile for argument @app:1/nosuch. Available profiles for 'app:1': default, full"
    );
    let e = install("tool:a", &[]).unwrap_err().to_string();
    assert_eq!(
        e,
        "No default profiles for module tool:a. Available profiles: common"
    );
    assert!(install("tool", &[]).is_err());
}

#[test]
fn severity_and_versions_follow_libdnf() {
    let (mut s, d) = repo();
    // A second build of app:1 (same context): both versions are active.
    let mut newer = s[0].clone();
    newer.version = 2;
    s.push(newer);
    let req = |enabled: &[(&str, &str)]| ModuleRequest {
        streams: s.iter().collect(),
        defaults: d.iter().collect(),
        enabled: enabled
            .iter()
            .map(|(n, st)| (n.to_string(), st.to_string()))
            .collect(),
        disabled: vec![],
        platform: None,
    };
    let out = solve_modules("x86_64", &req(&[])).unwrap();
    assert_eq!(out.problems, ModuleProblems::InDefaults);
    let mut active: Vec<(String, u64)> = out
        .active
        .iter()
        .map(|&i| (s[i].name_stream(), s[i].version))
        .collect();
    active.sort();
    assert_eq!(active, [("app:1".into(), 1), ("app:1".into(), 2)]);
    let out = solve_modules("x86_64", &req(&[("tool", "a"), ("dep", "s1")])).unwrap();
    assert_eq!(out.problems, ModuleProblems::Error);
}

#[test]
fn an_unsatisfiable_newest_build_leaves_the_older_one_active() {
    // fb:x version 2 needs a module nobody has; version 1 does not: libsolv installs
    // version 1 without any problem, and only it is active (dnf 4.14 measured).
    let old = stream("fb", "x", &[]);
    let mut newest = stream("fb", "x", &[("missing", &["1"])]);
    newest.version = 2;
    let streams = [old, newest];
    let defs = [defaults("fb", "x", 1)];
    let req = ModuleRequest {
        streams: streams.iter().collect(),
        defaults: defs.iter().collect(),
        ..Default::default()
    };
    let out = solve_modules("x86_64", &req).unwrap();
    assert_eq!(out.problems, ModuleProblems::None);
    assert_eq!(out.active, [0]);
}
