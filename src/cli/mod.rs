//! The native command-line tool for teachers and tests: `crudlab conformance FILE...` (more commands join here).
#![allow(clippy::print_stdout)]

pub mod conformance;

const USAGE: &str = "usage: crudlab <command>
  conformance FILE...   run conformance case files (query, update or schema suites); ends with `N passed, M failed`";

/// Runs the CLI with its arguments (without the program name); returns the process exit code.
pub fn run(args: &[String]) -> i32 {
    match args.first().map(String::as_str) {
        Some("conformance") => conformance::run(&args[1..]),
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
