//! The analysis of RUN bodies and scripts (CONTAINERFILE.md A7, A8): which `dnf`,
//! `yum` and `microdnf` commands they run, with which packages, on which arches.
//!
//! The text is pre-processed the reference's way (A7.1 step 1, `source`), parsed with
//! `brush-parser`, and its AST walked with the reference's walk semantics (A7.2,
//! `walk`): simple commands become package actions (A7.3, A7.4, `command`), assignments
//! feed shell and per-arch variables (A7.5, `assign`), and arch tests give an arch
//! context (A8, `arch`). Word text is the reference's quote removal, expansions kept
//! as text (A7.1 step 3, `words`). What a command hides from the walk is looked into
//! or reported (`hidden`).
//!
//! The reference's results are kept, quirks included, except where it silently loses
//! packages. There rpmlock does better, or says so with a [`Warning`]:
//! - bodies bashlex rejects but brush parses are analysed: `case` (arms walked like an
//!   `else` branch, with a warning), `time cmd`, `$((...))`, arrays, C-style `for`,
//!   `coproc`, quoted heredoc delimiters; `while`/`until` are walked as conditional
//!   code; `( ( cmd ) )`, which brush reads as arithmetic, is analysed as subshells;
//! - a body brush cannot parse (or nested too deeply to parse safely) gives a warning;
//! - the command word may carry a path, be `dnf5` or `dnf-3`, or follow `sudo` or
//!   `env`; `bash -c SCRIPT` is analysed;
//! - a package argument still holding a `$` after expansion, or naming a variable
//!   nothing sets (a loop variable, `read`, `export`), gives a warning;
//! - `eval`, `source`, `xargs`/`exec`/`su -c` running a package command, a compound
//!   command in a pipeline and a command substitution running one give a warning;
//! - `NAME+=VALUE` appends; a variable set both plainly and per arch keeps its plain
//!   value on every arch (`if A; then P=a; else P=b; fi; dnf install $P` installs `b`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::{LineMap, PackageSets, Vars, Warning};

mod arch;
mod assign;
mod command;
mod hidden;
mod source;
mod walk;
mod words;

#[cfg(test)]
mod tests;

use source::Source;
use walk::{Flags, Walker};

/// How deep nested code (`bash -c 'bash -c ...'`, `( ( ... ) )`) is followed.
const MAX_DEPTH: usize = 8;

/// How deeply a text may nest (brackets, backticks, `if`, `case`, `do`) to be parsed:
/// brush-parser recurses with the nesting and overflows the stack a few hundred
/// levels deep. Real RUN bodies stay far below.
const MAX_NESTING: usize = 64;

/// Analyses the shell `text` (a RUN value or a script body) and adds what its package
/// commands ask for to `out`. `vars` are the stage's ARG/ENV variables (empty for
/// scripts); `arches` the run's target arches; `lines` maps offsets in `text` to the
/// lines they came from. What cannot be analysed is reported in `warnings`.
pub(crate) fn analyze(
    text: &str,
    lines: &LineMap,
    vars: &Vars,
    arches: &[String],
    out: &mut PackageSets,
    warnings: &mut Vec<Warning>,
) {
    let ctx = Context {
        lines,
        vars,
        arches,
        depth: 0,
    };
    analyze_in(text, &ctx, &Flags::default(), out, warnings);
}

/// What an analysis runs with besides its text: the nested `bash -c` analysis shares
/// it with a deeper `depth`.
struct Context<'a> {
    lines: &'a LineMap,
    vars: &'a Vars,
    arches: &'a [String],
    depth: usize,
}

/// The analysis of one text, starting with `flags` (the arch context of a `bash -c`).
fn analyze_in(
    text: &str,
    ctx: &Context<'_>,
    flags: &Flags,
    out: &mut PackageSets,
    warnings: &mut Vec<Warning>,
) {
    let src = Source::new(text);
    let program = match parse(&src) {
        Ok(program) => program,
        Err((offset, message)) => {
            // A7.1 step 2 / E-14: the reference skips the body with a log line; we say
            // so as a warning, with the line.
            warnings.push(Warning {
                origin: ctx.lines.origin(src.original(offset)),
                message: format!(
                    "cannot parse this shell code ({message}): its package commands are \
                     not analysed"
                ),
            });
            return;
        }
    };
    let mut walker = Walker::new(&src, ctx, out, warnings);
    for list in &program.complete_commands {
        walker.list(list, flags);
    }
}

/// Parses the pre-processed text; on failure the char index of the error (or 0) and
/// brush's message.
fn parse(src: &Source) -> Result<brush_parser::ast::Program, (usize, String)> {
    if source::nesting_depth(src.text()) > MAX_NESTING {
        return Err((0, format!("nested more than {MAX_NESTING} levels deep")));
    }
    if let Some(offset) = source::oversized_fd_number(src.text()) {
        // brush-parser panics on a file descriptor number that overflows an i32.
        return Err((offset, "file descriptor number out of range".to_string()));
    }
    let options = brush_parser::ParserOptions::default();
    let mut reader = std::io::Cursor::new(src.text().as_bytes());
    let result = catch_unwind(AssertUnwindSafe(|| {
        brush_parser::Parser::new(&mut reader, &options).parse_program()
    }));
    match result {
        Ok(Ok(program)) => Ok(program),
        Ok(Err(e)) => {
            let offset = match &e {
                brush_parser::ParseError::ParsingNear(pos) => pos.index,
                brush_parser::ParseError::Tokenizing {
                    position: Some(pos),
                    ..
                } => pos.index,
                _ => 0,
            };
            Err((offset, e.to_string()))
        }
        Err(_) => Err((0, "the shell parser failed".to_string())),
    }
}
