//! `crudlab run [--deterministic] [--mirror] [--calls] FILE|-` and `crudlab repl`: run scripts against a fresh in-memory cluster
//! and print each statement with its result as mongosh prints it, or its error with `line:col`.

use crate::engine::generator::Generator;
use crate::runtime::{Mode, StatementReport, World};
use crate::shell::error::ErrorKind;
use crate::shell::span::Location;
use std::io::{BufRead, Write};

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

struct Options {
    run: RunOptions,
    file: Option<String>,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options { run: RunOptions::default(), file: None };
    for arg in args {
        match arg.as_str() {
            "--deterministic" => options.run.deterministic = true,
            "--mirror" => options.run.mirror = true,
            "--calls" => options.run.calls = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            file => {
                if options.file.replace(file.to_string()).is_some() {
                    return Err("give one FILE (or - for standard input)".into());
                }
            }
        }
    }
    Ok(options)
}

fn generator(deterministic: bool) -> Generator {
    if deterministic {
        Generator::deterministic(DETERMINISTIC_SEED)
    } else {
        Generator::Live
    }
}

/// The worlds a run uses: one natural world, or the schemaless and Mongoose worlds side by side.
fn worlds(options: &RunOptions) -> Vec<(&'static str, World)> {
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
            if let Some(from) = &call.mirrored_from {
                lines.push(format!("  (mirrors {from})"));
            }
            if let Some(trace) = &call.trace {
                lines.extend(trace.iter().map(|step| format!("  | {}", step.describe())));
            }
            lines.extend(call.driver_calls.iter().map(|text| format!("  -> {text}")));
            if let Some(note) = &call.note {
                lines.push(format!("  note: {note}"));
            }
        }
    }
    let outcome = render_outcome(source, report);
    if !outcome.is_empty() {
        lines.push(outcome);
    }
    lines.join("\n")
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

fn labelled(label: &str, text: &str) -> String {
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

/// `crudlab run`: exit 0 when the script ran (even with statement errors), 2 on a parse error or bad usage.
#[allow(clippy::print_stdout)]
pub fn run(args: &[String]) -> i32 {
    let options = match parse_options(args) {
        Ok(Options { file: None, .. }) | Err(_) => {
            eprintln!("usage: crudlab run [--deterministic] [--mirror] [--calls] FILE|-");
            return 2;
        }
        Ok(options) => options,
    };
    let file = options.file.clone().unwrap_or_default();
    let source = if file == "-" {
        let mut text = String::new();
        if std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).is_err() {
            eprintln!("cannot read standard input");
            return 2;
        }
        text
    } else {
        match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{file}: cannot read: {e}");
                return 2;
            }
        }
    };
    match run_script(&source, options.run) {
        Ok(text) => {
            println!("{text}");
            0
        }
        Err(rendered) => {
            eprintln!("{rendered}");
            2
        }
    }
}

/// `crudlab repl`: one statement at a time; an unfinished statement (an open bracket) continues on the next line.
#[allow(clippy::print_stdout)]
pub fn repl(args: &[String]) -> i32 {
    let options = match parse_options(args) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("{e}\nusage: crudlab repl [--deterministic] [--mirror] [--calls]");
            return 2;
        }
    };
    let mut worlds = worlds(&options.run);
    let stdin = std::io::stdin();
    let mut buffer = String::new();
    print!("crudlab> ");
    let _ = std::io::stdout().flush();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        buffer.push_str(&line);
        buffer.push('\n');
        match crate::shell::parse(&buffer) {
            Err(e) if matches!(e.kind, ErrorKind::UnexpectedEnd | ErrorKind::Unclosed) => {
                print!("... ");
                let _ = std::io::stdout().flush();
                continue;
            }
            Err(e) => println!("{}", e.render(&buffer)),
            Ok(program) => {
                for stmt in &program.statements {
                    for (label, world) in worlds.iter_mut() {
                        let report = world.run_statement(&buffer, stmt);
                        let rendered = render_report(&buffer, &report, options.run.calls);
                        if !rendered.is_empty() {
                            println!("{}", labelled(label, &rendered));
                        }
                    }
                }
            }
        }
        buffer.clear();
        print!("crudlab> ");
        let _ = std::io::stdout().flush();
    }
    println!();
    0
}
