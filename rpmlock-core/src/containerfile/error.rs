//! Errors of reading Containerfiles, treefiles and container.yaml files.

use std::path::PathBuf;

/// A Containerfile, treefile, container.yaml or a file they name that cannot be read
/// or makes no sense. Every variant names the file (and the line, where there is one).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerfileError {
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A Containerfile without a `FROM` line.
    #[error("{}: no FROM instruction: the base image could not be identified", path.display())]
    NoStages {
        /// The Containerfile.
        path: PathBuf,
    },
    /// No stage matches the input's `stageNum` / `stageName` / `imagePattern`.
    #[error("{}: no stage matches {filter} (stages: {})", path.display(), stages.join(", "))]
    NoStageMatched {
        /// The Containerfile.
        path: PathBuf,
        /// The filter, as text.
        filter: String,
        /// Every stage, as `N` or `N (name)`, for the message.
        stages: Vec<String>,
    },
    /// An `imagePattern` that is not a regular expression.
    #[error("{}: imagePattern `{pattern}` is not a valid regular expression", path.display())]
    InvalidPattern {
        /// The Containerfile.
        path: PathBuf,
        /// The pattern.
        pattern: String,
        /// The regex error.
        #[source]
        source: regex::Error,
    },
    /// A `FROM` that uses an ARG with no value (not declared, declared without a
    /// default, and not in the argFile).
    #[error("{}:{line}: ARG `{name}` is used in FROM but has no value (declare it with a default before the FROM, or set it in argFile)", path.display())]
    UndefinedArg {
        /// The Containerfile.
        path: PathBuf,
        /// 1-based line of the FROM.
        line: usize,
        /// The ARG's name.
        name: String,
    },
    /// A file the Containerfile COPYs and then runs or reads (a script, a package-list
    /// file) that is not in the build context: the build itself would fail.
    #[error("{}:{line}: `{reference}` is {what} from {}, which does not exist", path.display(), resolved.display())]
    MissingFile {
        /// The Containerfile (or script) that names it.
        path: PathBuf,
        /// 1-based line of the instruction.
        line: usize,
        /// The reference as written (`/tmp/setup.sh`).
        reference: String,
        /// What the file is for: `a script copied`, `a package list copied`.
        what: &'static str,
        /// Where rpmlock looked for it.
        resolved: PathBuf,
    },
    /// An argFile line that is not `NAME=VALUE`.
    #[error("{}:{line}: expected NAME=VALUE", path.display())]
    ArgFileSyntax {
        /// The argFile.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// An SRPM (for `dnf builddep`) whose header cannot be read.
    #[error("{}: cannot read the SRPM's header (for dnf builddep)", path.display())]
    Srpm {
        /// The SRPM.
        path: PathBuf,
        /// The rpm crate's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A treefile or container.yaml that is not valid YAML.
    #[error("{}: invalid YAML", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The YAML parser's error.
        #[source]
        source: serde_yaml::Error,
    },
    /// A treefile or container.yaml whose content does not have the expected shape.
    #[error("{}: {key}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The key, e.g. `flatpak.packages[2]`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// Treefiles that include each other.
    #[error("treefile include loop: {}", chain.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" -> "))]
    IncludeLoop {
        /// The treefiles, from the first to the one included again.
        chain: Vec<PathBuf>,
    },
}
