//! `rpm-lockfile-prototype` compatibility: invoked under that name (a symlink or hard
//! link to `rpmlock`), rpmlock takes the prototype's command line, so the bots and
//! scripts that call the prototype (Konflux's lockfile refresh, MintMaker) switch
//! without a change.
//!
//! `rpm-lockfile-prototype [-f FILE | --image REF | --local-system | --bare |
//! --rpm-ostree-treefile FILE] [--flatpak] [--debug] [--arch ARCH]... [--pull WHEN]
//! [--outfile FILE] [--print-schema] [--allowerasing] INPUT_FILE` runs
//! `rpmlock lock` with the same meaning: `--debug` is `-vv`, `--pull` is accepted and
//! ignored (rpmlock reads an image's rpm database from its registry on every run,
//! cached by digest), `--print-schema` prints rpmlock's JSON Schema of the input.
//! Exit codes stay rpmlock's: 0 success, 1 an unsatisfiable request, 2 any other
//! error (the prototype exits 1 for every failure).

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{ArgGroup, Parser};

/// The name the prototype's users call.
pub(crate) const PROTOTYPE_NAME: &str = "rpm-lockfile-prototype";

/// The arguments after the program name when rpmlock was invoked as
/// `rpm-lockfile-prototype`.
pub(crate) fn invoked_as_prototype() -> Option<Vec<OsString>> {
    let mut args = std::env::args_os();
    let argv0 = args.next()?;
    let name = std::path::Path::new(&argv0)
        .file_name()?
        .to_string_lossy()
        .into_owned();
    (name == PROTOTYPE_NAME).then(|| args.collect())
}

/// The prototype's command line.
#[derive(Debug, Parser)]
#[command(
    name = PROTOTYPE_NAME,
    version,
    about = "rpmlock, answering to rpm-lockfile-prototype's command line",
    group(ArgGroup::new("context").args(["containerfile", "image", "local_system", "bare", "rpm_ostree_treefile"]))
)]
struct PrototypeArgs {
    /// Resolve on the base image of this Containerfile (relative to the current
    /// directory).
    #[arg(short = 'f', long, value_name = "CONTAINERFILE")]
    containerfile: Option<String>,
    /// Use the rpm database of this image.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// Resolve for the current system.
    #[arg(long)]
    local_system: bool,
    /// Resolve as if nothing is installed.
    #[arg(long)]
    bare: bool,
    /// Request the packages of this rpm-ostree treefile, on an empty root.
    #[arg(long, value_name = "TREEFILE")]
    rpm_ostree_treefile: Option<String>,
    /// Request the packages of container.yaml's flatpak section.
    #[arg(long)]
    flatpak: bool,
    /// Debug logging (rpmlock's -vv).
    #[arg(long)]
    debug: bool,
    /// Run the resolution for this arch (repeatable).
    #[arg(long = "arch", value_name = "ARCH")]
    arches: Vec<String>,
    /// Accepted and ignored (deprecated in the prototype too).
    #[arg(long, value_name = "WHEN", value_parser = ["always", "missing", "never", "newer"])]
    pull: Option<String>,
    /// The input file.
    #[arg(value_name = "INPUT_FILE", required_unless_present = "print_schema")]
    infile: Option<String>,
    /// Where to write the lockfile.
    #[arg(long, default_value = "rpms.lock.yaml")]
    outfile: String,
    /// Print a JSON Schema of the input file and exit.
    #[arg(long)]
    print_schema: bool,
    /// Allow erasing installed packages to resolve dependencies.
    #[arg(long)]
    allowerasing: bool,
}

/// What to do with a prototype command line.
pub(crate) enum Translated {
    /// Run rpmlock with these arguments.
    Run(Vec<OsString>),
    /// Already done (`--print-schema`, or a usage error printed): exit with this code.
    Exit(ExitCode),
}

/// Turns the prototype's arguments into rpmlock's.
pub(crate) fn translate(args: Vec<OsString>) -> Translated {
    let parsed = match PrototypeArgs::try_parse_from(
        std::iter::once(OsString::from(PROTOTYPE_NAME)).chain(args),
    ) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.print();
            // clap's own exit code: 0 for --help/--version, 2 for usage errors.
            return Translated::Exit(ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)));
        }
    };
    if parsed.print_schema {
        return Translated::Exit(
            match crate::write_stdout(rpmlock_core::config::JSON_SCHEMA, "the schema") {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => ExitCode::from(crate::printer::print_error(&e)),
            },
        );
    }
    Translated::Run(argv(parsed))
}

fn argv(p: PrototypeArgs) -> Vec<OsString> {
    let mut out: Vec<String> = vec!["rpmlock".into()];
    if p.debug {
        out.push("-vv".into());
    }
    out.push("lock".into());
    out.extend(p.infile);
    out.push("--outfile".into());
    out.push(p.outfile);
    for a in p.arches {
        out.push("--arch".into());
        out.push(a);
    }
    if let Some(f) = p.containerfile {
        out.push("--containerfile".into());
        out.push(f);
    }
    if let Some(i) = p.image {
        out.push("--image".into());
        out.push(i);
    }
    if p.local_system {
        out.push("--local-system".into());
    }
    if p.bare {
        out.push("--bare".into());
    }
    if let Some(t) = p.rpm_ostree_treefile {
        out.push("--rpm-ostree-treefile".into());
        out.push(t);
    }
    if p.flatpak {
        out.push("--flatpak".into());
    }
    if p.allowerasing {
        out.push("--allowerasing".into());
    }
    if let Some(when) = p.pull {
        eprintln!(
            "note: --pull {when} is ignored: rpmlock reads the image's rpm database from its registry, cached by digest"
        );
    }
    out.into_iter().map(OsString::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Vec<String> {
        match translate(args.iter().map(OsString::from).collect()) {
            Translated::Run(v) => v.into_iter().map(|s| s.into_string().unwrap()).collect(),
            Translated::Exit(_) => panic!("exited"),
        }
    }

    #[test]
    fn the_bots_command_line() {
        assert_eq!(
            run(&["rpms.in.yaml", "--outfile", "/w/rpms.lock.yaml"]),
            [
                "rpmlock",
                "lock",
                "rpms.in.yaml",
                "--outfile",
                "/w/rpms.lock.yaml"
            ]
        );
    }

    #[test]
    fn every_option() {
        assert_eq!(
            run(&[
                "--debug",
                "--arch",
                "x86_64",
                "--arch=aarch64",
                "--image",
                "ubi9",
                "--pull",
                "never",
                "--allowerasing",
                "--flatpak",
                "in.yaml"
            ]),
            [
                "rpmlock",
                "-vv",
                "lock",
                "in.yaml",
                "--outfile",
                "rpms.lock.yaml",
                "--arch",
                "x86_64",
                "--arch",
                "aarch64",
                "--image",
                "ubi9",
                "--flatpak",
                "--allowerasing"
            ]
        );
        assert_eq!(
            run(&["-f", "Containerfile", "in.yaml"])[5..],
            ["--containerfile", "Containerfile"]
        );
        assert_eq!(run(&["--bare", "in.yaml"])[5..], ["--bare"]);
        assert_eq!(run(&["--local-system", "in.yaml"])[5..], ["--local-system"]);
        assert_eq!(
            run(&["--rpm-ostree-treefile", "t.yaml", "in.yaml"])[5..],
            ["--rpm-ostree-treefile", "t.yaml"]
        );
    }

    #[test]
    fn context_options_exclude_each_other_and_input_is_required() {
        for bad in [
            &["--bare", "--local-system", "in.yaml"][..],
            &["--image", "x", "-f", "C", "in.yaml"],
            &[],
            &["--pull", "sometimes", "in.yaml"],
        ] {
            let args = bad.iter().map(OsString::from);
            assert!(
                PrototypeArgs::try_parse_from(
                    std::iter::once(OsString::from(PROTOTYPE_NAME)).chain(args)
                )
                .is_err(),
                "{bad:?}"
            );
        }
    }
}
