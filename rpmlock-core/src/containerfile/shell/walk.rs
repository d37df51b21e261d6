//! The walk over the AST (CONTAINERFILE.md A7.2) with the reference's semantics rather
//! than the shell's: lists with the `[ test ] &&/|| X` scan (A8.3), `if` evaluated
//! fresh with the condition-shape quirk (A8.2), compound commands in a pipeline
//! ignored, `for` variables unbound.
//!
//! Deliberate differences (never a silent loss): `case` arms are walked like an
//! `else` branch with a warning, `while`/`until` are walked as conditional code,
//! `time cmd` is `cmd`, and a compound command in a pipeline that holds a package
//! command gives a warning.

use std::collections::BTreeMap;

use brush_parser::ast::{
    AndOr, CaseClauseCommand, Command, CompoundCommand, CompoundList, IfClauseCommand, Pipeline,
    SeparatorOperator, SimpleCommand, SourceLocation,
};

use super::super::{LineMap, Origin, PackageSets, Vars, Warning};
use super::command::{self, Plain};
use super::hidden;
use super::source::Source;
use super::{Context, arch};

/// The walk's two flags (A7.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Flags {
    /// The arches the code runs on, when an arch test decided it.
    pub(super) arch: Option<Vec<String>>,
    /// Whether the code runs only under a condition without an arch (assignments
    /// then append, A7.5 step 3).
    pub(super) in_conditional: bool,
}

impl Flags {
    fn arch(arches: Vec<String>) -> Flags {
        Flags {
            arch: Some(arches),
            in_conditional: false,
        }
    }

    fn conditional() -> Flags {
        Flags {
            arch: None,
            in_conditional: true,
        }
    }
}

/// How a pipeline is joined to the one before it in a flattened list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Joint {
    And,
    Or,
    Other,
}

/// The walk state of one text (A7.2): the shell and per-arch variables live as long
/// as the walker, i.e. one RUN body or script.
pub(super) struct Walker<'a> {
    pub(super) src: &'a Source,
    pub(super) ctx: &'a Context<'a>,
    /// Plain shell assignments seen so far.
    pub(super) shell_vars: Vars,
    /// Assignments made under an arch context: name → arch → text.
    pub(super) arch_vars: BTreeMap<String, BTreeMap<String, String>>,
    pub(super) out: &'a mut PackageSets,
    pub(super) warnings: &'a mut Vec<Warning>,
}

impl<'a> Walker<'a> {
    pub(super) fn new(
        src: &'a Source,
        ctx: &'a Context<'a>,
        out: &'a mut PackageSets,
        warnings: &'a mut Vec<Warning>,
    ) -> Walker<'a> {
        Walker {
            src,
            ctx,
            shell_vars: Vars::new(),
            arch_vars: BTreeMap::new(),
            out,
            warnings,
        }
    }

    /// The origin of the char at index `char_index` of the pre-processed text.
    pub(super) fn origin(&self, char_index: usize) -> Origin {
        self.ctx.lines.origin(self.src.original(char_index))
    }

    pub(super) fn lines(&self) -> &LineMap {
        self.ctx.lines
    }

    pub(super) fn warn(&mut self, char_index: usize, message: String) {
        let origin = self.origin(char_index);
        let warning = Warning { origin, message };
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    /// The stage variables overlaid with the shell variables.
    pub(super) fn base_vars(&self) -> Vars {
        let mut vars = self.ctx.vars.clone();
        vars.extend(self.shell_vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        vars
    }

    /// A list (A7.2 first row): the `[ test ] &&/|| X` scan first (A8.3), then the
    /// parts it did not consume, in order, with the current flags.
    pub(super) fn list(&mut self, list: &CompoundList, flags: &Flags) {
        let parts = flatten(list);
        let mut consumed = vec![false; parts.len()];
        for i in 0..parts.len() {
            if consumed[i] {
                continue;
            }
            let Some((_, test)) = parts.get(i) else {
                continue;
            };
            let Some(text) = self.test_text(test) else {
                continue;
            };
            let Some(&(joint, next)) = parts.get(i + 1) else {
                continue;
            };
            if joint == Joint::Other {
                continue;
            }
            let Some(arches) = arch::list_context(&text, joint == Joint::Or) else {
                continue;
            };
            consumed[i] = true;
            consumed[i + 1] = true;
            self.pipeline(next, &Flags::arch(arches));
        }
        for (i, (_, pipeline)) in parts.iter().enumerate() {
            if !consumed[i] {
                self.pipeline(pipeline, flags);
            }
        }
    }

    /// The joined plain words of a pipeline that is a lone simple command starting
    /// with `[` (the test of A8.3).
    fn test_text(&self, pipeline: &Pipeline) -> Option<String> {
        let simple = lone_simple(pipeline)?;
        let words = command::plain_words(simple);
        (words.first()?.text == "[").then(|| join(&words))
    }

    /// A pipeline (A7.2): a lone command is walked; in a real pipeline (or after
    /// `!`) only the simple commands are processed.
    fn pipeline(&mut self, pipeline: &Pipeline, flags: &Flags) {
        if let ([only], false) = (pipeline.seq.as_slice(), pipeline.bang) {
            self.command(only, flags, None);
            return;
        }
        let mut previous: Option<&SimpleCommand> = None;
        for cmd in &pipeline.seq {
            if let Command::Simple(simple) = cmd {
                self.simple(simple, flags, previous);
                previous = Some(simple);
            } else {
                previous = None;
                let text = cmd.to_string();
                if hidden::mentions_package_command(&text) {
                    let at = self.start_of(cmd).unwrap_or(0);
                    self.warn(
                        at,
                        "a compound command in a pipeline is not analysed (as in the \
                         reference): the packages it installs are not locked"
                            .to_string(),
                    );
                }
            }
        }
    }

    fn command(&mut self, cmd: &Command, flags: &Flags, previous: Option<&SimpleCommand>) {
        match cmd {
            Command::Simple(simple) => self.simple(simple, flags, previous),
            Command::Compound(compound, _) => self.compound(compound, flags),
            Command::Function(function) => self.compound(&function.body.0, flags),
            Command::ExtendedTest(..) => {}
        }
    }

    fn compound(&mut self, compound: &CompoundCommand, flags: &Flags) {
        match compound {
            CompoundCommand::BraceGroup(group) => self.list(&group.list, flags),
            CompoundCommand::Subshell(subshell) => self.list(&subshell.list, flags),
            CompoundCommand::ForClause(clause) => self.list(&clause.body.list, flags),
            CompoundCommand::ArithmeticForClause(clause) => self.list(&clause.body.list, flags),
            CompoundCommand::IfClause(clause) => self.if_clause(clause),
            CompoundCommand::CaseClause(clause) => self.case_clause(clause),
            CompoundCommand::WhileClause(clause) | CompoundCommand::UntilClause(clause) => {
                // The reference ignores loops; we walk them as conditional code.
                let flags = Flags {
                    arch: flags.arch.clone(),
                    in_conditional: true,
                };
                self.list(&clause.0, &flags);
                self.list(&clause.1.list, &flags);
            }
            CompoundCommand::Coprocess(coproc) => self.command(&coproc.body, flags, None),
            CompoundCommand::Arithmetic(arithmetic) => {
                // brush reads `( ( cmd ) )` as arithmetic; bash (and bashlex) as two
                // subshells. Only `((` written together is arithmetic.
                let start = arithmetic.loc.start.index;
                if self.src.char_at(start + 1) != Some('(') {
                    self.nested(&arithmetic.expr.value, start, flags);
                }
            }
        }
    }

    /// `if`/`elif`/`else` (A8.2), always evaluated fresh: the outer flags are lost.
    fn if_clause(&mut self, clause: &IfClauseCommand) {
        self.branch(&clause.condition, &clause.then);
        for part in clause.elses.iter().flatten() {
            match &part.condition {
                Some(condition) => self.branch(condition, &part.body),
                None => self.list(&part.body, &Flags::conditional()),
            }
        }
    }

    /// One `if`/`elif` condition and its `then` body.
    fn branch(&mut self, condition: &CompoundList, body: &CompoundList) {
        let mut arches = Vec::new();
        if self.condition_is_list(condition, body) {
            for (_, pipeline) in flatten(condition) {
                if let Some(simple) = lone_simple(pipeline) {
                    arches.extend(arch::condition_arches(&join(&command::plain_words(simple))));
                }
            }
        }
        let flags = if arches.is_empty() {
            Flags::conditional()
        } else {
            Flags::arch(arches)
        };
        self.list(condition, &flags);
        self.list(body, &flags);
    }

    /// Whether bashlex would see the condition as a list (A8.2's shape quirk): more
    /// than one pipeline, or one ended by `;` or `&` rather than a newline before
    /// `then`.
    fn condition_is_list(&self, condition: &CompoundList, body: &CompoundList) -> bool {
        let parts = flatten(condition);
        if parts.len() > 1 {
            return true;
        }
        if condition
            .0
            .last()
            .is_some_and(|item| matches!(item.1, SeparatorOperator::Async))
        {
            return true;
        }
        // The source text before `then`: look at it through the body's first position.
        let Some(body_start) = body
            .0
            .first()
            .and_then(|item| self.start_of_pipeline(&item.0.first))
        else {
            return false;
        };
        let before = self.src.before(body_start);
        let Some(then_at) = before.rfind("then") else {
            return false;
        };
        let mut head = before.get(..then_at).unwrap_or("").trim_end();
        // A comment between the separator and `then` does not count.
        while let Some(line_start) = head.rfind('\n').map(|i| i + 1).or(Some(0)) {
            let line = head.get(line_start..).unwrap_or("");
            match comment_start(line) {
                Some(hash) => head = head.get(..line_start + hash).unwrap_or("").trim_end(),
                None => break,
            }
        }
        head.ends_with(';') || head.ends_with('&')
    }

    /// `case` (an improvement: bashlex rejects it): every arm is walked like an `else`
    /// branch, its packages common, with one warning when an arm contributed
    /// anything (packages or variables).
    fn case_clause(&mut self, clause: &CaseClauseCommand) {
        let before = self.footprint();
        let mark = self.warnings.len();
        for item in &clause.cases {
            if let Some(cmd) = &item.cmd {
                self.list(cmd, &Flags::conditional());
            }
        }
        if before != self.footprint() {
            let warning = Warning {
                origin: self.origin(clause.loc.start.index),
                message: "packages in the branches of this case statement are taken for \
                          every arch"
                    .to_string(),
            };
            if !self.warnings.contains(&warning) {
                self.warnings.insert(mark.min(self.warnings.len()), warning);
            }
        }
    }

    /// What the walk has found so far, to tell whether a part contributed anything:
    /// the sets only grow, so their size is enough; the variables are compared whole.
    fn footprint(&self) -> (usize, Vars, BTreeMap<String, BTreeMap<String, String>>) {
        let out = &*self.out;
        let size = [
            &out.install,
            &out.upgrade,
            &out.reinstall,
            &out.builddep,
            &out.module_enable,
            &out.module_disable,
        ]
        .into_iter()
        .chain(out.arch_install.values())
        .flat_map(|set| set.values())
        .map(|origins| origins.len())
        .sum();
        (size, self.shell_vars.clone(), self.arch_vars.clone())
    }

    /// The char index where a pipeline starts, if brush knows it.
    fn start_of_pipeline(&self, pipeline: &Pipeline) -> Option<usize> {
        pipeline.seq.first().and_then(|cmd| self.start_of(cmd))
    }

    /// The char index where a command starts, if brush knows it.
    pub(super) fn start_of(&self, cmd: &Command) -> Option<usize> {
        match cmd {
            Command::Simple(simple) => command::simple_start(simple),
            other => other.location().map(|loc| loc.start.index),
        }
    }
}

/// A list as bashlex sees it: a flat sequence of pipelines, each with the operator
/// that joins it to the previous one.
fn flatten(list: &CompoundList) -> Vec<(Joint, &Pipeline)> {
    let mut parts = Vec::new();
    for item in &list.0 {
        parts.push((Joint::Other, &item.0.first));
        for and_or in &item.0.additional {
            match and_or {
                AndOr::And(p) => parts.push((Joint::And, p)),
                AndOr::Or(p) => parts.push((Joint::Or, p)),
            }
        }
    }
    parts
}

/// The simple command a pipeline is made of, if it is one without `!`.
fn lone_simple(pipeline: &Pipeline) -> Option<&SimpleCommand> {
    match (pipeline.seq.as_slice(), pipeline.bang) {
        ([Command::Simple(simple)], false) => Some(simple),
        _ => None,
    }
}

/// Plain words joined with single spaces.
fn join(words: &[Plain]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a shell comment starts in `line` (a `#` at the start or after a blank).
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    bytes
        .iter()
        .enumerate()
        .find(|&(i, &b)| b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()))
        .map(|(i, _)| i)
}
