//! The native command-line tool for teachers and tests: `crudlab conformance FILE...` (more commands join here).
#![allow(clippy::print_stdout)]

pub mod bench;
pub mod conformance;
pub mod run;

const USAGE: &str = "usage: crudlab <command>
  conformance FILE...                        run conformance case files (query, update or schema suites)
  run [--deterministic] [--mirror] FILE|-    run a script; print each statement's result as mongosh does
  repl [--deterministic] [--mirror]          the same, interactively
  bench-native [--data DIR] [--out FILE] N... the native half of `cargo xtask bench`";

/// Runs the CLI with its arguments (without the program name); returns the process exit code.
pub fn run(args: &[String]) -> i32 {
    match args.first().map(String::as_str) {
        Some("conformance") => conformance::run(&args[1..]),
        Some("run") => run::run(&args[1..]),
        Some("repl") => run::repl(&args[1..]),
        Some("bench-native") => bench::run(&args[1..]),
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            0
        }
        _ => {
            eprintln!("{USAGE}");
            2
        }
    }
}
