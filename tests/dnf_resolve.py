#!/usr/bin/python3
"""The reference resolver: what dnf 4 installs for an rpms.in.yaml, per arch.

    dnf_resolve.py SCENARIO/rpms.in.yaml [--repos-root DIR_OR_URL] [--arch A]...

Reads the input with PyYAML, replaces `@REPOS@` in URLs with the repos root (a local
directory becomes a file:// URL), substitutes $basearch/$arch/$releasever, and, for
each arch (--arch, else the input's `arches`, else the host's), runs what
`dnf --installroot=EMPTY --forcearch=ARCH install SPEC...` would, through dnf's
Python API: an empty installroot and cache in a temp dir, no system repos, gpgcheck
off, install_weak_deps from the input, `Base.install_specs`, `Base.resolve`.

Prints JSON on stdout:
    {"ARCH": {"ok": true, "packages": ["name-[epoch:]version-release.arch", ...]}}
    {"ARCH": {"ok": false, "error": "..."}}
plus "warnings": [...] when dnf warned (upgradePackages / reinstallPackages of packages
that are not installed). Errors are dnf's own messages per spec ("No match for
argument: X", "All matches were filtered out by exclude filtering for argument: X").
Packages are sorted. Exit status 0 whenever the JSON was written (errors of the
resolution are data), 2 for a bad invocation or input.

Needs the system python (/usr/bin/python3) with Debian's python3-dnf and python3-yaml.
`@group` specs need nothing more: `install_specs` reads every repo's comps
(`group_gz`/`group`) itself, and an unknown group is reported as `No match for group
or module: @NAME`.

Supports the keys of the scenarios: contentOrigin.repos (repoid, baseurl and the dnf
repo options below), contentOrigin.repofiles (paths and globs relative to the input,
http(s) URLs, {location: ...}; `@REPOS@` in them is replaced like in baseurls; dnf reads
them itself through a temporary reposdir), packages, arches, installWeakDeps,
noSources, context {bare} or {rootfs: DIR} (the installroot is then a copy of DIR,
whose rpmdb dnf loads as @System, with $releasever detected from it as dnf does;
`--installroot DIR` does the same for any input), excludePackages, allowerasing, assumeProvides,
upgradePackages, reinstallPackages, variables ({NAME} placeholders in every string of
the input and of its repofiles), moduleEnable, moduleDisable (`dnf module
enable/disable` through `ModuleBase`, before the install; `module_platform_id` stays
unset and the empty installroot has no os-release, so there is no platform
pseudo-module, as in rpmlock on a bare context). `DNF_VAR_NAME`
environment variables define `$NAME` as for dnf. Any other key is an error, so a
scenario can't silently mean something else to dnf than to rpmlock.

assumeProvides is done as rpm-lockfile-prototype does it: a local repo
`_assumed-provides` with one noarch package `_assumed-provides-CAP` (0-0) per
capability, left out of the answer; a versioned capability `name OP evr` becomes a
versioned provide (the prototype writes the whole text as the provide's name).
upgradePackages and reinstallPackages are marked before the install specs, as the
prototype does, with `Base.upgrade` / `Base.reinstall`; "not installed" is a warning.
"""

import argparse
import fnmatch
import glob
import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import urllib.request

from xml.sax.saxutils import quoteattr

import dnf
import rpm
import dnf.exceptions
import dnf.module.module_base
import dnf.rpm
import hawkey
import yaml

KNOWN_KEYS = {
    "contentOrigin", "packages", "arches", "installWeakDeps", "noSources", "context",
    "excludePackages", "allowerasing", "variables", "assumeProvides", "upgradePackages",
    "reinstallPackages", "moduleEnable", "moduleDisable", "matchContextVersions",
}
ORIGIN_KEYS = {"repos", "repofiles"}
ASSUMED_REPOID = "_assumed-provides"
ASSUMED_PREFIX = "_assumed-provides-"
RPM_FLAGS = {"<": "LT", "<=": "LE", "=": "EQ", "==": "EQ", ">=": "GE", ">": "GT"}
# rpms.in.yaml repo key -> dnf.repo.Repo attribute (lists split on white space/commas).
REPO_OPTIONS = {
    "priority": int, "cost": int, "enabled": bool, "module_hotfixes": bool,
    "excludepkgs": list, "exclude": list, "includepkgs": list,
    "sslverify": bool, "gpgcheck": bool,
}


def die(msg):
    print(f"dnf_resolve.py: {msg}", file=sys.stderr)
    sys.exit(2)


def as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def substitute(text, variables):
    """$name and ${name}, longest name first, as dnf does."""
    def repl(m):
        name = m.group(1) or m.group(2)
        return variables.get(name, m.group(0))
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", repl, text)


def env_variables():
    """`DNF_VAR_NAME=value` defines `$NAME`, as dnf's Substitutions read the environment."""
    return {k[len("DNF_VAR_"):]: v for k, v in os.environ.items()
            if k.startswith("DNF_VAR_") and re.fullmatch(r"[A-Za-z0-9_]+", k[len("DNF_VAR_"):])}


def input_variables(data, input_dir):
    """The input's `variables`, later entries winning."""
    out = {}
    for entry in data.get("variables") or []:
        if "inline" in entry:
            out.update({k: str(v) for k, v in entry["inline"].items()})
        else:
            with open(os.path.join(input_dir, entry["file"])) as f:
                for line in f:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        key, value = line.split("=", 1)
                        out[key.strip()] = value.strip()
    return out


def substitute_braces(value, variables):
    """{NAME} (not after `$`) in every string of value, recursively."""
    if isinstance(value, str):
        def repl(m):
            if m.group(1) not in variables:
                die(f"variable {{{m.group(1)}}} is not defined")
            return variables[m.group(1)]
        return re.sub(r"(?<!\$)\{([A-Za-z0-9_]+)\}", repl, value)
    if isinstance(value, list):
        return [substitute_braces(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute_braces(v, variables) for k, v in value.items()}
    return value


def repofile_texts(origin, repos_root, input_dir, variables):
    """(name, text) of every repofile, `@REPOS@` and {NAME} substituted."""
    out = []
    for entry in origin.get("repofiles") or []:
        location = entry["location"] if isinstance(entry, dict) else entry
        location = location.replace("@REPOS@", repos_root)
        if re.match(r"^https?://", location):
            with urllib.request.urlopen(location) as resp:
                texts = [resp.read().decode()]
        else:
            if location.startswith("file://"):
                location = location[len("file://"):]
            paths = sorted(glob.glob(os.path.join(input_dir, location)))
            if not paths:
                die(f"repofile {location}: no such file")
            texts = []
            for path in paths:
                with open(path) as f:
                    texts.append(f.read())
        for text in texts:
            out.append(substitute_braces(text.replace("@REPOS@", repos_root), variables))
    return out


def resolve_url(url, repos_root, input_dir):
    if "@REPOS@" in url:
        if not repos_root:
            die(f"{url}: @REPOS@ needs --repos-root")
        url = url.replace("@REPOS@", repos_root)
    if re.match(r"^[a-z][a-z0-9+.-]*://", url):
        return url
    # A plain path, relative to the input file's directory.
    return "file://" + os.path.normpath(os.path.join(input_dir, url))


def specs_for_arch(entries, arch, key):
    specs = []
    for entry in entries or []:
        if isinstance(entry, str):
            specs.append(entry)
            continue
        if not isinstance(entry, dict) or "name" not in entry:
            die(f"{key}: bad entry {entry!r}")
        arches = entry.get("arches") or {}
        only = as_list(arches.get("only"))
        not_ = as_list(arches.get("not"))
        if only and arch not in only:
            continue
        if arch in not_:
            continue
        specs.append(entry["name"])
    # FORMAT.md: excludePackages entries are removed from every request list (they
    # also hide packages, as dnf's excludepkgs: conf.excludepkgs below).
    return [s for s in specs
            if not any(s == x or fnmatch.fnmatchcase(s, x) for x in EXCLUDED_REQUESTS)]


# excludePackages of the input being resolved (set by resolve()).
EXCLUDED_REQUESTS = []


def nevra(pkg):
    epoch = f"{pkg.epoch}:" if pkg.epoch else ""
    return f"{pkg.name}-{epoch}{pkg.version}-{pkg.release}.{pkg.arch}"


def fatal_marking_errors(e, module_problems_fatal=True):
    """Whether `dnf module enable` (or, with module_problems_fatal=False, `dnf install`)
    would stop on these errors: `dnf module enable` only logs modular dependency
    problems in default streams, `dnf install` logs them all."""
    import libdnf.module
    depsolv = e.module_depsolv_errors
    in_defaults = bool(depsolv) and depsolv[1] == \
        libdnf.module.ModulePackageContainer.ModuleErrorType_ERROR_IN_DEFAULTS
    if depsolv and not in_defaults and module_problems_fatal:
        return True
    return bool(e.no_match_pkg_specs or e.error_pkg_specs or e.no_match_group_specs
                or e.error_group_specs)


def marking_error_text(e):
    lines = [f"No match for argument: {s}" for s in e.no_match_pkg_specs]
    lines += [f"Unable to install: {s}" for s in e.error_pkg_specs]
    lines += [f"No match for group or module: {s}" for s in e.no_match_group_specs]
    return "\n".join(lines) or str(e)


class Collect(logging.Handler):
    """Keeps the messages dnf logs at or above `level`."""

    def __init__(self, level):
        super().__init__(level)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def provide_entry(cap):
    parts = cap.split()
    if len(parts) == 3 and parts[1] in RPM_FLAGS and not cap.startswith("("):
        name, op, evr = parts
        epoch, _, vr = evr.rpartition(":")
        ver, _, rel = vr.partition("-")
        attrs = f' flags="{RPM_FLAGS[op]}" epoch={quoteattr(epoch or "0")} ver={quoteattr(ver)}'
        if rel:
            attrs += f" rel={quoteattr(rel)}"
        return f"<rpm:entry name={quoteattr(name)}{attrs}/>"
    return f"<rpm:entry name={quoteattr(cap)}/>"


def assumed_provides_repo(directory, caps):
    """A repo with one dummy package per capability (primary + repomd only)."""
    packages = []
    for cap in caps:
        name = ASSUMED_PREFIX + cap
        pkgid = hashlib.sha256(cap.encode()).hexdigest()
        packages.append(
            f'<package type="rpm"><name>{quoteattr(name)[1:-1]}</name><arch>noarch</arch>'
            f'<version epoch="0" ver="0" rel="0"/>'
            f'<checksum type="sha256" pkgid="YES">{pkgid}</checksum>'
            f'<summary/><description/><packager/><url/><time file="0" build="0"/>'
            f'<size package="0" installed="0" archive="0"/>'
            f'<location href={quoteattr(name + "-0-0.noarch.rpm")}/>'
            f'<format><rpm:sourcerpm/><rpm:provides>{provide_entry(cap)}</rpm:provides></format>'
            f'</package>'
        )
    primary = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<metadata xmlns="http://linux.duke.edu/metadata/common" '
        f'xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="{len(caps)}">'
        + "".join(packages) + "</metadata>\n"
    ).encode()
    os.makedirs(os.path.join(directory, "repodata"))
    data = gzip.compress(primary, mtime=0)
    with open(os.path.join(directory, "repodata", "primary.xml.gz"), "wb") as f:
        f.write(data)
    repomd = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>0</revision>'
        '<data type="primary">'
        f'<checksum type="sha256">{hashlib.sha256(data).hexdigest()}</checksum>'
        f'<open-checksum type="sha256">{hashlib.sha256(primary).hexdigest()}</open-checksum>'
        '<location href="repodata/primary.xml.gz"/><timestamp>0</timestamp>'
        f'<size>{len(data)}</size><open-size>{len(primary)}</open-size></data></repomd>\n'
    )
    with open(os.path.join(directory, "repodata", "repomd.xml"), "w") as f:
        f.write(repomd)


RPMDB_DIRS = ("usr/lib/sysimage/rpm", "var/lib/rpm", "usr/share/rpm")


def pin_context_versions(installed, specs, patterns):
    """rpm-lockfile-prototype's matchContextVersions: specs matching a glob get the one
    EVR of the installed packages whose names match it."""
    import fnmatch
    specs = list(specs)
    pinned = [False] * len(specs)
    for pattern in patterns:
        evrs = {p.evr for p in installed if fnmatch.fnmatchcase(p.name, pattern)}
        if len(evrs) != 1:
            if evrs:
                die(f"matchContextVersions: {pattern}: different versions {sorted(evrs)}")
            continue
        evr = evrs.pop()
        for i, spec in enumerate(specs):
            if not pinned[i] and fnmatch.fnmatchcase(spec, pattern):
                specs[i] = f"{spec}-{evr}"
                pinned[i] = True
    return specs


def resolve(data, arch, repos_root, input_dir, context_root=None):
    basearch = dnf.rpm.basearch(arch)
    variables = env_variables()
    variables.update({"arch": arch, "basearch": basearch, "releasever": "unknown"})
    with tempfile.TemporaryDirectory(prefix="dnf-resolve-") as tmp:
        installroot = os.path.join(tmp, "root")
        if context_root:
            # A copy: dnf may write lock files next to the rpmdb.
            shutil.copytree(context_root, installroot, symlinks=True)
            dbdir = next((d for d in RPMDB_DIRS if any(
                os.path.isfile(os.path.join(installroot, d, f))
                for f in ("rpmdb.sqlite", "Packages", "Packages.db"))), None)
            if dbdir is None:
                die(f"{context_root}: no rpm database")
        base = dnf.Base()
        try:
            if context_root:
                # Debian's rpm keeps its database in ~/.rpmdb: point it at the root's
                # (after dnf.Base() read rpm's configuration).
                rpm.delMacro("_dbpath")
                rpm.addMacro("_dbpath", "/" + dbdir)
                variables["releasever"] = dnf.rpm.detect_releasever(installroot) or "unknown"
            conf = base.conf
            conf.installroot = installroot
            conf.cachedir = os.path.join(tmp, "cache")
            conf.persistdir = os.path.join(tmp, "persist")
            conf.logdir = os.path.join(tmp, "log")
            for d in (conf.installroot, conf.cachedir, conf.persistdir, conf.logdir):
                os.makedirs(d, exist_ok=True)
            conf.reposdir = []
            conf.substitutions.update(variables)
            # --forcearch=ARCH
            conf.ignorearch = True
            conf.arch = arch
            conf.install_weak_deps = bool(data.get("installWeakDeps", True))
            conf.gpgcheck = False
            conf.excludepkgs = [substitute(x, variables) for x in data.get("excludePackages") or []]
            EXCLUDED_REQUESTS[:] = list(conf.excludepkgs)

            for r in (data.get("contentOrigin") or {}).get("repos") or []:
                repoid = substitute(r["repoid"], variables)
                urls = substitute(r["baseurl"], variables).split()
                urls = [resolve_url(u, repos_root, input_dir) for u in urls]
                opts = {"gpgcheck": False}
                for key, value in r.items():
                    if key in ("repoid", "baseurl"):
                        continue
                    kind = REPO_OPTIONS.get(key)
                    if kind is None:
                        print(f"dnf_resolve.py: repo {repoid}: ignoring option {key}", file=sys.stderr)
                        continue
                    if kind is list:
                        if isinstance(value, list):
                            value = " ".join(str(v) for v in value)
                        value = [v for v in re.split(r"[\s,]+", substitute(str(value), variables)) if v]
                        key = "excludepkgs" if key == "exclude" else key
                    if kind is bool and isinstance(value, str):
                        value = substitute(value, variables).strip().lower() in ("1", "yes", "true", "on")
                    elif kind is int and isinstance(value, str):
                        value = substitute(value, variables)
                    # A list option is set from one string (a Python list keeps only
                    # its first item in Debian's dnf 4.14).
                    opts[key] = kind(value) if kind is not list else ", ".join(value)
                base.repos.add_new_repo(repoid, conf, baseurl=urls, **opts)
            caps = data.get("assumeProvides") or []
            if caps:
                directory = os.path.join(tmp, ASSUMED_REPOID)
                assumed_provides_repo(directory, caps)
                base.repos.add_new_repo(ASSUMED_REPOID, conf, baseurl=["file://" + directory])

            origin = data.get("contentOrigin") or {}
            texts = repofile_texts(origin, repos_root, input_dir, input_variables(data, input_dir))
            if texts:
                reposdir = os.path.join(tmp, "repos.d")
                os.makedirs(reposdir)
                for i, text in enumerate(texts):
                    with open(os.path.join(reposdir, f"{i:03}.repo"), "w") as f:
                        f.write(text)
                conf.reposdir = [reposdir]
                conf.substitutions.update(variables)
                base.read_all_repos()
                for repo in base.repos.values():
                    repo.gpgcheck = False

            base.fill_sack(load_system_repo=bool(context_root), load_available_repos=True)
            module_base = dnf.module.module_base.ModuleBase(base)
            # `dnf module disable/enable`, which (like `dnf install`) only log
            # modular dependency problems of default streams.
            for key, action in (("moduleDisable", module_base.disable),
                                ("moduleEnable", module_base.enable)):
                names = [substitute(x, variables) for x in data.get(key) or []]
                if not names:
                    continue
                try:
                    action(names)
                except dnf.exceptions.MarkingErrors as e:
                    if fatal_marking_errors(e):
                        return {"ok": False, "error": str(e)}
            warnings = Collect(logging.WARNING)
            logging.getLogger("dnf").addHandler(warnings)
            errors = []
            # As rpm-lockfile-prototype: upgrades, then reinstalls, then installs.
            for spec in specs_for_arch(data.get("upgradePackages"), arch, "upgradePackages"):
                try:
                    base.upgrade(spec)
                except dnf.exceptions.PackagesNotInstalledError:
                    pass  # dnf logged "Package X available, but not installed."
                except dnf.exceptions.MarkingError as e:
                    errors.append(f"{e.value}: {spec}" if e.value else str(e))
            for spec in specs_for_arch(data.get("reinstallPackages"), arch, "reinstallPackages"):
                try:
                    base.reinstall(spec)
                except dnf.exceptions.PackagesNotInstalledError as e:
                    # dnf's reinstall command: the first available package, else no match.
                    if e.packages:
                        logging.getLogger("dnf").warning(
                            "Package %s available, but not installed.", next(iter(e.packages)).name)
                    else:
                        errors.append(f"No match for argument: {spec}")
                except dnf.exceptions.PackagesNotAvailableError as e:
                    errors.append(str(e))
            specs = specs_for_arch(data.get("packages"), arch, "packages")
            if data.get("matchContextVersions"):
                specs = pin_context_versions(base.sack.query().installed(), specs,
                                             data["matchContextVersions"])
            marking = Collect(logging.ERROR)
            logging.getLogger("dnf").addHandler(marking)
            try:
                base.install_specs(specs)
            except dnf.exceptions.MarkingErrors as e:
                # `dnf install` only logs modular dependency problems.
                if fatal_marking_errors(e, module_problems_fatal=False):
                    errors.append("\n".join(marking.messages) or marking_error_text(e))
            finally:
                logging.getLogger("dnf").removeHandler(marking)
                logging.getLogger("dnf").removeHandler(warnings)
            if errors:
                return {"ok": False, "error": "\n".join(errors)}
            try:
                base.resolve(allow_erasing=bool(data.get("allowerasing", False)))
            except dnf.exceptions.DepsolveError as e:
                return {"ok": False, "error": str(e).strip()}
            packages = sorted(nevra(p) for p in base.transaction.install_set
                              if not p.name.startswith(ASSUMED_PREFIX))
            result = {"ok": True, "packages": packages}
            if warnings.messages:
                result["warnings"] = warnings.messages
            return result
        finally:
            base.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("--repos-root", default="",
                    help="directory or URL that replaces @REPOS@ in baseurls")
    ap.add_argument("--arch", action="append", default=[])
    ap.add_argument("--installroot", help="a root filesystem whose rpmdb is the context")
    args = ap.parse_args()

    with open(args.input) as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict):
        die(f"{args.input}: not a mapping")
    input_dir = os.path.dirname(os.path.abspath(args.input))
    braces = input_variables(data, input_dir)
    data = {k: (v if k == "variables" else substitute_braces(v, braces)) for k, v in data.items()}
    unknown_origin = set(data.get("contentOrigin") or {}) - ORIGIN_KEYS
    if unknown_origin:
        die(f"{args.input}: unsupported contentOrigin keys {sorted(unknown_origin)}")
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        die(f"{args.input}: unsupported keys {sorted(unknown)}")
    context = data.get("context") or {"bare": True}
    context_root = args.installroot
    if context_root is None and set(context) == {"rootfs"}:
        context_root = os.path.join(input_dir, context["rootfs"])
    elif context_root is None and context != {"bare": True}:
        die(f"{args.input}: only context {{bare: true}} or {{rootfs: DIR}} is supported, not {context}")

    root = args.repos_root.rstrip("/")
    if root and "://" not in root:
        root = "file://" + os.path.abspath(root)
    arches = args.arch or as_list(data.get("arches")) or [hawkey.detect_arch()]

    result = {arch: resolve(data, arch, root, input_dir, context_root) for arch in arches}
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
