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
Packages are sorted. Exit status 0 whenever the JSON was written (errors of the
resolution are data), 2 for a bad invocation or input.

Needs the system python (/usr/bin/python3) with Debian's python3-dnf and python3-yaml.
`@group` specs need nothing more: `install_specs` reads every repo's comps
(`group_gz`/`group`) itself, and an unknown group is reported as `No match for group
or module: @NAME`.

Supports the keys of the scenarios: contentOrigin.repos (repoid, baseurl and the dnf
repo options below), packages, arches, installWeakDeps, noSources, context {bare},
excludePackages, allowerasing. Any other key is an error, so a scenario can't silently
mean something else to dnf than to rpmlock.
"""

import argparse
import json
import os
import re
import sys
import tempfile

import dnf
import dnf.exceptions
import dnf.rpm
import hawkey
import yaml

KNOWN_KEYS = {
    "contentOrigin", "packages", "arches", "installWeakDeps", "noSources", "context",
    "excludePackages", "allowerasing",
}
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
    return specs


def nevra(pkg):
    epoch = f"{pkg.epoch}:" if pkg.epoch else ""
    return f"{pkg.name}-{epoch}{pkg.version}-{pkg.release}.{pkg.arch}"


def marking_error_text(e):
    lines = [f"No match for argument: {s}" for s in e.no_match_pkg_specs]
    lines += [f"Unable to install: {s}" for s in e.error_pkg_specs]
    lines += [f"No match for group or module: {s}" for s in e.no_match_group_specs]
    return "\n".join(lines) or str(e)


def resolve(data, arch, repos_root, input_dir):
    basearch = dnf.rpm.basearch(arch)
    variables = {"arch": arch, "basearch": basearch, "releasever": "unknown"}
    with tempfile.TemporaryDirectory(prefix="dnf-resolve-") as tmp:
        base = dnf.Base()
        try:
            conf = base.conf
            conf.installroot = os.path.join(tmp, "root")
            conf.cachedir = os.path.join(tmp, "cache")
            conf.persistdir = os.path.join(tmp, "persist")
            conf.logdir = os.path.join(tmp, "log")
            for d in (conf.installroot, conf.cachedir, conf.persistdir, conf.logdir):
                os.makedirs(d, exist_ok=True)
            conf.reposdir = []
            conf.substitutions["releasever"] = variables["releasever"]
            # --forcearch=ARCH
            conf.ignorearch = True
            conf.arch = arch
            conf.install_weak_deps = bool(data.get("installWeakDeps", True))
            conf.gpgcheck = False
            conf.excludepkgs = [substitute(x, variables) for x in data.get("excludePackages") or []]

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
                        value = [v for v in re.split(r"[\s,]+", substitute(str(value), variables)) if v]
                        key = "excludepkgs" if key == "exclude" else key
                    opts[key] = kind(value) if kind is not list else value
                base.repos.add_new_repo(repoid, conf, baseurl=urls, **opts)

            base.fill_sack(load_system_repo=False, load_available_repos=True)
            specs = specs_for_arch(data.get("packages"), arch, "packages")
            try:
                base.install_specs(specs)
            except dnf.exceptions.MarkingErrors as e:
                return {"ok": False, "error": marking_error_text(e)}
            try:
                base.resolve(allow_erasing=bool(data.get("allowerasing", False)))
            except dnf.exceptions.DepsolveError as e:
                return {"ok": False, "error": str(e).strip()}
            packages = sorted(nevra(p) for p in base.transaction.install_set)
            return {"ok": True, "packages": packages}
        finally:
            base.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("--repos-root", default="",
                    help="directory or URL that replaces @REPOS@ in baseurls")
    ap.add_argument("--arch", action="append", default=[])
    args = ap.parse_args()

    with open(args.input) as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict):
        die(f"{args.input}: not a mapping")
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        die(f"{args.input}: unsupported keys {sorted(unknown)}")
    context = data.get("context") or {"bare": True}
    if context != {"bare": True}:
        die(f"{args.input}: only context {{bare: true}} is supported, not {context}")

    root = args.repos_root.rstrip("/")
    if root and "://" not in root:
        root = "file://" + os.path.abspath(root)
    input_dir = os.path.dirname(os.path.abspath(args.input))
    arches = args.arch or as_list(data.get("arches")) or [hawkey.detect_arch()]

    result = {arch: resolve(data, arch, root, input_dir) for arch in arches}
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
