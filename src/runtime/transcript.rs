//! A whole script run statement by statement in one world or in both side by side, printed as text: each
//! statement, the calls that reached the database, Mongoose's trace and the result as mongosh prints it. The CLI
//! prints it, and the recorded outputs of `tests/scripts/` are compared with it natively and in the browser.

use crate::engine::generator::Generator;
use crate::runtime::{Mode, StatementReport, World};
use crate::shell::span::Location;

/// The seed `--deterministic` uses, so ObjectIds and dates are the same on every run.
const DETERMINISTIC_SEED: u64 = 1;

/// How a script runs and what is printed.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Seeded ObjectIds and a fixed clock, so output is the same on every run.
    pub deterministic: bool,
    /// Run every statement in the schemaless and the Mongoose world, side by side.
    pub mirror: bool,
    /// Also print the calls that reached the database, Mongoose's trace and notes.
    pub calls: bool,
}

fn generator(deterministic: bool) -> Generator {
    if deterministic {
        Generator::deterministic(DETERMINISTIC_SEED)
    } else {
        Generator::Live
    }
}

/// The worlds a run uses: one natural world, or the schemaless and Mongoose worlds side by side.
pub fn worlds(options: &RunOptions) -> Vec<(&'static str, World)> {
    if options.mirror {
        vec![
            ("schemaless", World::new(Mode::Schemaless, generator(options.deterministic))),
            ("mongoose", World::new(Mode::Mongoose, generator(options.deterministic))),
        ]
    } else {
        vec![("", World::new(Mode::Natural, generator(options.deterministic)))]
    }
}

/// One statement's outcome as text: the result, or `error at L:C: Name: message` and a hint line.
pub fn render_report(source: &str, report: &StatementReport, calls: bool) -> String {
    let mut lines = Vec::new();
    if calls {
        for call in &report.calls {
            if let Some(from) = &call.translated_from {
                lines.push(format!("  (mirrors {from})"));
            }
            if let Some(trace) = &call.trace {
                lines.extend(trace.iter().map(|step| format!("  | {}", step.describe())));
            }
            lines.extend(call.sent.iter().map(|sent| format!("  -> {sent}")));
            if let Some(note) = &call.note {
                // A note of several lines (a model's declaration) keeps each under the first.
                lines.extend(note.lines().map(|line| format!("  note: {line}")));
            }
        }
        for request in &report.requests {
            lines.extend(render_request(request));
        }
    }
    let outcome = render_outcome(source, report);
    if !outcome.is_empty() {
        lines.push(outcome);
    }
    lines.join("\n")
}

/// A request's lane as text: browser → each middleware and handler → database calls → response.
pub fn render_request(request: &super::express::RequestReport) -> Vec<String> {
    let mut lines = vec![format!(
        "  request {} {}{}",
        request.method,
        request.path,
        request.body.as_ref().map(|body| format!(" body {body}")).unwrap_or_default()
    )];
    for step in &request.steps {
        lines.push(format!("    express: {} → {}", step.name, step.outcome));
    }
    if !request.calls.is_empty() {
        lines.push(format!("    database: {} call(s)", request.calls.len()));
    }
    let status = match super::express::status_text(request.status) {
        "" => request.status.to_string(),
        text => format!("{} {text}", request.status),
    };
    match &request.note {
        Some(note) if note == super::express::NO_RESPONSE => lines.push(format!("    response: none — {note}")),
        _ => lines.push(format!("    response: {status} {}", super::express::shown_body(&request.response_body))),
    }
    lines
}

fn render_outcome(source: &str, report: &StatementReport) -> String {
    match &report.error {
        Some(error) => {
            let at = Location::new(source, error.span);
            let mut text = report.console.iter().map(|line| format!("{line}\n")).collect::<String>();
            text.push_str(&format!("error at {}:{}: {error}", at.line, at.column));
            if let Some(hint) = &error.hint {
                text.push_str(&format!("\nhint: {hint}"));
            }
            text
        }
        None => report.display(),
    }
}

pub fn labelled(label: &str, text: &str) -> String {
    if label.is_empty() {
        text.to_string()
    } else if text.contains('\n') || text.starts_with(' ') {
        format!("{label}:\n{text}")
    } else {
        format!("{label}: {text}")
    }
}

/// Runs a whole script and returns what the CLI prints, or the rendered parse error.
pub fn run_script(source: &str, options: RunOptions) -> Result<String, String> {
    let program = crate::shell::parse(source).map_err(|e| e.render(source))?;
    let mut worlds = worlds(&options);
    let mut out = Vec::new();
    for stmt in &program.statements {
        // Each statement of a script is a Run of its own (as in the REPL): the TTL monitor runs before it.
        let ttl: Vec<(&str, StatementReport)> = worlds
            .iter_mut()
            .filter_map(|(label, world)| world.run_ttl_monitor().map(|report| (*label, report)))
            .collect();
        if !ttl.is_empty() {
            out.push(format!("> {}", super::world::TTL_MONITOR));
            for (label, report) in &ttl {
                out.push(labelled(label, &render_report(source, report, true)));
            }
        }
        let text = source.get(stmt.span.start..stmt.span.end).unwrap_or_default();
        out.push(format!("> {}", text.replace('\n', "\n  ")));
        for (label, world) in worlds.iter_mut() {
            let report = world.run_statement(source, stmt);
            let rendered = render_report(source, &report, options.calls);
            if !rendered.is_empty() {
                out.push(labelled(label, &rendered));
            }
        }
    }
    Ok(out.join("\n"))
}
