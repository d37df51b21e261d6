//! Streaming parser of comps (`group` / `group_gz` metadata): groups, environments and
//! categories, merged across repositories the way libcomps (and so dnf) merges them.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::xml::{Origin, decode_string, find_attr, push_entity, text_string};
use super::{ParseErrorKind, RepoError};

/// The comps data of one or more repositories.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Comps {
    /// `<group>`s, in document order (merged ones keep the first one's place).
    pub groups: Vec<CompsGroup>,
    /// `<environment>`s, in document order.
    pub environments: Vec<CompsEnvironment>,
    /// `<category>`s, in document order (kept for completeness; installs ignore them).
    pub categories: Vec<CompsCategory>,
}

/// One `<group>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompsGroup {
    /// `<id>`.
    pub id: String,
    /// `<name>` without `xml:lang` (the untranslated name).
    pub name: Option<String>,
    /// `<default>`: whether installers preselect it (default false).
    pub default: bool,
    /// `<uservisible>` (default true).
    pub uservisible: bool,
    /// `<langonly>`, when present.
    pub langonly: Option<String>,
    /// `<packagelist>`, one entry per package name.
    pub packages: Vec<GroupPackage>,
}

/// One `<packagereq>` of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupPackage {
    /// The package name (the element's text).
    pub name: String,
    /// `type` (default mandatory).
    pub kind: PackageKind,
    /// `requires` of a conditional package: installed only with that package.
    pub requires: Option<String>,
    /// `basearchonly="true"`: only the package of the base arch.
    pub basearchonly: bool,
}

/// The `type` of a `<packagereq>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageKind {
    /// `mandatory` (also the default when `type` is absent).
    Mandatory,
    /// `default`.
    Default,
    /// `optional`.
    Optional,
    /// `conditional`.
    Conditional,
    /// Any other value: such a package is never installed.
    Unknown,
}

impl PackageKind {
    fn parse(s: &str) -> PackageKind {
        match s {
            "mandatory" => PackageKind::Mandatory,
            "default" => PackageKind::Default,
            "optional" => PackageKind::Optional,
            "conditional" => PackageKind::Conditional,
            _ => PackageKind::Unknown,
        }
    }
}

/// One `<environment>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompsEnvironment {
    /// `<id>`.
    pub id: String,
    /// `<name>` without `xml:lang`.
    pub name: Option<String>,
    /// `<grouplist>`: the groups it installs.
    pub groups: Vec<String>,
    /// `<optionlist>`: groups offered, not installed.
    pub options: Vec<String>,
}

/// One `<category>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompsCategory {
    /// `<id>`.
    pub id: String,
    /// `<name>` without `xml:lang`.
    pub name: Option<String>,
    /// `<grouplist>`.
    pub groups: Vec<String>,
}

impl Comps {
    /// Merges `other` (a later repository) into `self` as libcomps does: an item with
    /// a new id is appended; one with a known id takes `other`'s name (when it has
    /// one) and flags, and the union of both lists, where a package named in both
    /// takes `other`'s type and condition in the first one's place.
    pub fn merge(&mut self, other: Comps) {
        for g in other.groups {
            merge_group(&mut self.groups, g);
        }
        for e in other.environments {
            match self.environments.iter_mut().find(|x| x.id == e.id) {
                Some(x) => {
                    if e.name.is_some() {
                        x.name = e.name;
                    }
                    union(&mut x.groups, e.groups);
                    union(&mut x.options, e.options);
                }
                None => self.environments.push(e),
            }
        }
        for c in other.categories {
            match self.categories.iter_mut().find(|x| x.id == c.id) {
                Some(x) => {
                    if c.name.is_some() {
                        x.name = c.name;
                    }
                    union(&mut x.groups, c.groups);
                }
                None => self.categories.push(c),
            }
        }
    }

    /// The group with this id.
    pub fn group(&self, id: &str) -> Option<&CompsGroup> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// Whether there is nothing at all.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.environments.is_empty() && self.categories.is_empty()
    }
}

fn merge_group(groups: &mut Vec<CompsGroup>, g: CompsGroup) {
    let Some(x) = groups.iter_mut().find(|x| x.id == g.id) else {
        groups.push(g);
        return;
    };
    if g.name.is_some() {
        x.name = g.name;
    }
    x.default = g.default;
    x.uservisible = g.uservisible;
    if g.langonly.is_some() {
        x.langonly = g.langonly;
    }
    for p in g.packages {
        match x.packages.iter_mut().find(|q| q.name == p.name) {
            Some(q) => *q = p,
            None => x.packages.push(p),
        }
    }
}

fn union(into: &mut Vec<String>, from: Vec<String>) {
    for id in from {
        if !into.contains(&id) {
            into.push(id);
        }
    }
}

/// The text element being collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Name,
    Default,
    UserVisible,
    LangOnly,
    PackageReq,
    GroupId,
}

/// Where a `<groupid>` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    None,
    Groups,
    Options,
}

/// The item being built.
enum Item {
    Group(u64, CompsGroupBuilder),
    Environment(u64, CompsEnvironment),
    Category(u64, CompsCategory),
}

struct CompsGroupBuilder {
    group: CompsGroup,
    /// The attributes of the open `<packagereq>`.
    req: Option<(PackageKind, Option<String>, bool)>,
}

fn new_group() -> CompsGroup {
    CompsGroup {
        id: String::new(),
        name: None,
        default: false,
        uservisible: true,
        langonly: None,
        packages: Vec::new(),
    }
}

/// Parses a comps document. Groups (environments, categories) repeated in the same
/// document are merged like groups from several repositories. Items without an
/// `<id>` are skipped, as they cannot be installed.
///
/// `origin` names the file in errors; the reader yields the uncompressed document.
///
/// ```
/// let xml = br#"<comps><group><id>tools</id><name>Tools</name><packagelist>
///   <packagereq type="default">make</packagereq>
///   <packagereq type="conditional" requires="gcc">gcc-plugin</packagereq>
/// </packagelist></group></comps>"#;
/// let comps = rpmlock_core::repo::parse_comps(&xml[..], "comps.xml").unwrap();
/// let g = comps.group("tools").unwrap();
/// assert_eq!(g.name.as_deref(), Some("Tools"));
/// assert_eq!(g.packages[1].requires.as_deref(), Some("gcc"));
/// ```
pub fn parse_comps<R: BufRead>(reader: R, origin: &str) -> Result<Comps, RepoError> {
    let o = Origin(origin);
    let mut reader = Reader::from_reader(reader);
    let mut buf = Vec::with_capacity(8 * 1024);
    let mut text = Vec::new();
    let mut comps = Comps::default();
    let mut item: Option<Item> = None;
    let mut field: Option<(Field, u64)> = None;
    let mut list = List::None;
    let mut root_seen = false;
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| o.xml(reader.error_position(), e))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name();
                let name = name.as_ref();
                if !root_seen {
                    if name != b"comps" {
                        return Err(o.err(
                            pos,
                            ParseErrorKind::WrongDocument {
                                expected: "comps",
                                found: format!("<{}>", String::from_utf8_lossy(name)),
                            },
                        ));
                    }
                    root_seen = true;
                    if empty {
                        break;
                    }
                    buf.clear();
                    continue;
                }
                text.clear();
                match (&mut item, name) {
                    (None, b"group") => {
                        item = Some(Item::Group(
                            pos,
                            CompsGroupBuilder {
                                group: new_group(),
                                req: None,
                            },
                        ))
                    }
                    (None, b"environment") => {
                        item = Some(Item::Environment(
                            pos,
                            CompsEnvironment {
                                id: String::new(),
                                name: None,
                                groups: Vec::new(),
                                options: Vec::new(),
                            },
                        ))
                    }
                    (None, b"category") => {
                        item = Some(Item::Category(
                            pos,
                            CompsCategory {
                                id: String::new(),
                                name: None,
                                groups: Vec::new(),
                            },
                        ))
                    }
                    (Some(_), b"id") => field = Some((Field::Id, pos)),
                    // Translations (`xml:lang`) are not the name dnf matches in the C
                    // locale.
                    (Some(_), b"name")
                        if find_attr(e, b"xml:lang")
                            .map_err(|k| o.err(pos, k))?
                            .is_none() =>
                    {
                        field = Some((Field::Name, pos))
                    }
                    (Some(Item::Group(..)), b"default") => field = Some((Field::Default, pos)),
                    (Some(Item::Group(..)), b"uservisible") => {
                        field = Some((Field::UserVisible, pos))
                    }
                    (Some(Item::Group(..)), b"langonly") => field = Some((Field::LangOnly, pos)),
                    (Some(Item::Group(_, g)), b"packagereq") => {
                        g.req = Some(packagereq_attrs(e).map_err(|k| o.err(pos, k))?);
                        field = Some((Field::PackageReq, pos));
                    }
                    (Some(_), b"grouplist") => list = List::Groups,
                    (Some(Item::Environment(..)), b"optionlist") => list = List::Options,
                    (Some(_), b"groupid") if list != List::None => {
                        field = Some((Field::GroupId, pos))
                    }
                    _ => {}
                }
                if empty {
                    // `<id/>` and friends: an empty value.
                    if let Some((f, at)) = field.take() {
                        end_field(f, &[], item.as_mut(), list).map_err(|k| o.err(at, k))?;
                    }
                    if matches!(name, b"group" | b"environment" | b"category") {
                        finish(&mut comps, item.take());
                    }
                }
            }
            Event::Text(ref t) if field.is_some() => text.extend_from_slice(t),
            Event::CData(ref t) if field.is_some() => text.extend_from_slice(t),
            Event::GeneralRef(ref r) if field.is_some() => {
                push_entity(&mut text, r).map_err(|k| o.err(pos, k))?
            }
            Event::End(ref e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if let Some((f, at)) = field.take() {
                    end_field(f, &text, item.as_mut(), list).map_err(|k| o.err(at, k))?;
                } else {
                    match name {
                        b"grouplist" | b"optionlist" => list = List::None,
                        b"group" | b"environment" | b"category" => finish(&mut comps, item.take()),
                        _ => {}
                    }
                }
            }
            Event::Eof => {
                if !root_seen {
                    return Err(o.err(
                        pos,
                        ParseErrorKind::WrongDocument {
                            expected: "comps",
                            found: "no root element".to_string(),
                        },
                    ));
                }
                if let Some(Item::Group(at, _) | Item::Environment(at, _) | Item::Category(at, _)) =
                    item
                {
                    return Err(o.err(
                        at,
                        ParseErrorKind::WrongDocument {
                            expected: "comps",
                            found: "a document that ends inside an element".to_string(),
                        },
                    ));
                }
                break;
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(comps)
}

fn packagereq_attrs(
    e: &BytesStart<'_>,
) -> Result<(PackageKind, Option<String>, bool), ParseErrorKind> {
    let mut kind = PackageKind::Mandatory;
    let mut requires = None;
    let mut basearchonly = false;
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| ParseErrorKind::from(quick_xml::Error::InvalidAttr(e)))?;
        match a.key.as_ref() {
            b"type" => kind = PackageKind::parse(&decode_string(&a.value)?),
            b"requires" => requires = Some(decode_string(&a.value)?),
            b"basearchonly" => basearchonly = decode_string(&a.value)? == "true",
            _ => {}
        }
    }
    Ok((kind, requires.filter(|r| !r.is_empty()), basearchonly))
}

fn end_field(
    field: Field,
    text: &[u8],
    item: Option<&mut Item>,
    list: List,
) -> Result<(), ParseErrorKind> {
    let value = text_string(text)?;
    let value = value.trim();
    let Some(item) = item else { return Ok(()) };
    let flag = |v: &str| v.eq_ignore_ascii_case("true");
    match (item, field) {
        (Item::Group(_, g), Field::Id) => g.group.id = value.to_string(),
        (Item::Group(_, g), Field::Name) => g.group.name = Some(value.to_string()),
        (Item::Group(_, g), Field::Default) => g.group.default = flag(value),
        (Item::Group(_, g), Field::UserVisible) => g.group.uservisible = flag(value),
        (Item::Group(_, g), Field::LangOnly) => g.group.langonly = Some(value.to_string()),
        (Item::Group(_, g), Field::PackageReq) => {
            let (kind, requires, basearchonly) =
                g.req
                    .take()
                    .unwrap_or((PackageKind::Mandatory, None, false));
            if !value.is_empty() {
                let p = GroupPackage {
                    name: value.to_string(),
                    kind,
                    requires,
                    basearchonly,
                };
                match g.group.packages.iter_mut().find(|q| q.name == p.name) {
                    Some(q) => *q = p,
                    None => g.group.packages.push(p),
                }
            }
        }
        (Item::Environment(_, e), Field::Id) => e.id = value.to_string(),
        (Item::Environment(_, e), Field::Name) => e.name = Some(value.to_string()),
        (Item::Environment(_, e), Field::GroupId) if !value.is_empty() => {
            let into = if list == List::Options {
                &mut e.options
            } else {
                &mut e.groups
            };
            union(into, vec![value.to_string()]);
        }
        (Item::Category(_, c), Field::Id) => c.id = value.to_string(),
        (Item::Category(_, c), Field::Name) => c.name = Some(value.to_string()),
        (Item::Category(_, c), Field::GroupId) if !value.is_empty() => {
            union(&mut c.groups, vec![value.to_string()])
        }
        _ => {}
    }
    Ok(())
}

/// Adds a finished item, merging it into one with the same id.
fn finish(comps: &mut Comps, item: Option<Item>) {
    let mut one = Comps::default();
    match item {
        Some(Item::Group(_, g)) if !g.group.id.is_empty() => one.groups.push(g.group),
        Some(Item::Environment(_, e)) if !e.id.is_empty() => one.environments.push(e),
        Some(Item::Category(_, c)) if !c.id.is_empty() => one.categories.push(c),
        Some(_) => tracing::debug!("comps: skipping an item without <id>"),
        None => {}
    }
    comps.merge(one);
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>core</id>
    <name>Core &amp; Tools</name>
    <name xml:lang="de">Kern</name>
    <description>The core.</description>
    <default>true</default>
    <uservisible>false</uservisible>
    <langonly>en</langonly>
    <packagelist>
      <packagereq type="mandatory">bash</packagereq>
      <packagereq>coreutils</packagereq>
      <packagereq type="default">vim</packagereq>
      <packagereq type="optional">emacs</packagereq>
      <packagereq type="conditional" requires="gcc">gcc-plugin</packagereq>
      <packagereq type="weird" basearchonly="true">odd</packagereq>
    </packagelist>
  </group>
  <group><id>empty</id></group>
  <group><name>No id</name><packagelist><packagereq>x</packagereq></packagelist></group>
  <environment>
    <id>server</id>
    <name>Server</name>
    <grouplist><groupid>core</groupid><groupid>web</groupid></grouplist>
    <optionlist><groupid>extras</groupid></optionlist>
  </environment>
  <category>
    <id>base-system</id>
    <name>Base</name>
    <grouplist><groupid>core</groupid></grouplist>
  </category>
  <langpacks><match install="a-%s" name="a"/></langpacks>
</comps>
"#;

    fn parse(xml: &str) -> Result<Comps, RepoError> {
        parse_comps(xml.as_bytes(), "comps.xml")
    }

    #[test]
    fn parses_groups_environments_categories() {
        let c = parse(COMPS).unwrap();
        assert_eq!(c.groups.len(), 2);
        let g = c.group("core").unwrap();
        assert_eq!(g.name.as_deref(), Some("Core & Tools"));
        assert!(g.default && !g.uservisible);
        assert_eq!(g.langonly.as_deref(), Some("en"));
        let kinds: Vec<(&str, PackageKind)> = g
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("bash", PackageKind::Mandatory),
                ("coreutils", PackageKind::Mandatory),
                ("vim", PackageKind::Default),
                ("emacs", PackageKind::Optional),
                ("gcc-plugin", PackageKind::Conditional),
                ("odd", PackageKind::Unknown),
            ]
        );
        assert_eq!(g.packages[4].requires.as_deref(), Some("gcc"));
        assert!(g.packages[5].basearchonly && !g.packages[0].basearchonly);
        let empty = c.group("empty").unwrap();
        assert!(empty.name.is_none() && !empty.default && empty.uservisible);
        assert_eq!(c.environments.len(), 1);
        assert_eq!(c.environments[0].groups, ["core", "web"]);
        assert_eq!(c.environments[0].options, ["extras"]);
        assert_eq!(c.categories[0].groups, ["core"]);
        assert_eq!(c.categories[0].name.as_deref(), Some("Base"));
    }

    #[test]
    fn merges_like_libcomps() {
        let a = r#"<comps><group><id>g</id><name>A</name><packagelist>
            <packagereq type="mandatory">p1</packagereq>
            <packagereq type="default">p2</packagereq>
            <packagereq type="conditional" requires="x">p5</packagereq>
          </packagelist></group>
          <environment><id>e</id><name>EA</name><grouplist><groupid>g</groupid></grouplist></environment>
        </comps>"#;
        let b = r#"<comps><group><id>g</id><default>true</default><packagelist>
            <packagereq type="optional">p1</packagereq>
            <packagereq type="mandatory">p4</packagereq>
            <packagereq type="conditional" requires="y">p5</packagereq>
          </packagelist></group>
          <group><id>h</id><name>H</name></group>
          <environment><id>e</id><grouplist><groupid>h</groupid><groupid>g</groupid></grouplist>
            <optionlist><groupid>o</groupid></optionlist></environment>
          <group><id>h</id><name>H2</name><packagelist><packagereq>q</packagereq></packagelist></group>
        </comps>"#;
        let mut c = parse(a).unwrap();
        c.merge(parse(b).unwrap());
        let g = c.group("g").unwrap();
        assert_eq!(g.name.as_deref(), Some("A"), "a later group without a name");
        assert!(g.default);
        let pkgs: Vec<(&str, PackageKind, Option<&str>)> = g
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.kind, p.requires.as_deref()))
            .collect();
        assert_eq!(
            pkgs,
            [
                ("p1", PackageKind::Optional, None),
                ("p2", PackageKind::Default, None),
                ("p5", PackageKind::Conditional, Some("y")),
                ("p4", PackageKind::Mandatory, None),
            ]
        );
        // Repeated within one document: merged too.
        let h = c.group("h").unwrap();
        assert_eq!(h.name.as_deref(), Some("H2"));
        assert_eq!(h.packages.len(), 1);
        assert_eq!(c.environments[0].name.as_deref(), Some("EA"));
        assert_eq!(c.environments[0].groups, ["g", "h"]);
        assert_eq!(c.environments[0].options, ["o"]);
    }

    fn err(xml: &str) -> String {
        crate::repo::error::error_chain(&parse(xml).unwrap_err())
    }

    #[test]
    fn errors_name_file_and_offset() {
        let e = err("<comps>\n<group><id>g</id></grup></comps>");
        assert!(
            e.starts_with("comps.xml: invalid metadata at byte 25: malformed XML: "),
            "{e}"
        );
        assert_eq!(
            err("<repomd/>"),
            "comps.xml: invalid metadata at byte 0: expected <comps> document, found <repomd>"
        );
        assert_eq!(
            err(""),
            "comps.xml: invalid metadata at byte 0: expected <comps> document, found no root element"
        );
        assert_eq!(
            err("<comps><group><id>a&bogus;</id></group></comps>"),
            "comps.xml: invalid metadata at byte 19: unknown entity '&bogus;'"
        );
        let e = err("<comps>\n  <group><id>g</id>");
        assert_eq!(
            e,
            "comps.xml: invalid metadata at byte 10: expected <comps> document, found a document that ends inside an element"
        );
    }

    #[test]
    fn empty_documents() {
        assert!(parse("<comps/>").unwrap().is_empty());
        assert!(
            parse("<?xml version=\"1.0\"?><comps></comps>")
                .unwrap()
                .is_empty()
        );
    }
}
