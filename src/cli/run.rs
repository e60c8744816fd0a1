//! `crudlab run [--deterministic] [--mirror] [--calls] FILE|-` and `crudlab repl`: run scripts against a fresh in-memory cluster
//! and print each statement with its result as mongosh prints it, or its error with `line:col`.

use crate::runtime::transcript::{labelled, render_report, run_script, worlds, RunOptions};
use crate::shell::error::ErrorKind;
use std::io::{BufRead, Write};

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

/// `crudlab run`: exit 0 when the script ran (even with statement errors), 2 on a parse error or bad usage.
#[allow(clippy::print_stdout)]
#[allow(clippy::disallowed_methods, reason = "the native command-line tool reads files and standard input")]
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
#[allow(clippy::disallowed_methods, reason = "the native command-line tool reads standard input")]
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
