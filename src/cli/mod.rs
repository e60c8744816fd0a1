//! The native command-line tool for teachers and tests: `crudlab conformance FILE...` (more commands join here).
#![allow(clippy::print_stdout)]

pub mod bench;
pub mod conformance;
pub mod run;

const USAGE: &str = "usage: crudlab <command>
  conformance FILE...                        run conformance case files (query, update or schema suites)
  run [--deterministic] [--mirror] FILE|-    run a script; print each statement's result as mongosh does
  repl [--deterministic] [--mirror]          the same, interactively
  lessons verify                             replay every lesson step (solution passes, starter does not)
  bench-native [--data DIR] [--out FILE] N... the native half of `cargo xtask bench`";

/// Runs the CLI with its arguments (without the program name); returns the process exit code.
pub fn run(args: &[String]) -> i32 {
    match args.first().map(String::as_str) {
        Some("conformance") => conformance::run(&args[1..]),
        Some("run") => run::run(&args[1..]),
        Some("repl") => run::repl(&args[1..]),
        Some("bench-native") => bench::run(&args[1..]),
        Some("lessons") if args.get(1).map(String::as_str) == Some("verify") => verify_lessons(),
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

/// `crudlab lessons verify`: one line per failing step, then `N passed, M failed` (one per step).
fn verify_lessons() -> i32 {
    let (lessons, errors) = crate::lessons::bundled();
    let mut passed = 0;
    let mut failed = errors.len();
    for error in &errors {
        println!("FAIL {error}");
    }
    for lesson in &lessons {
        for verdict in crate::lessons::verify(lesson) {
            match verdict.failure {
                None => passed += 1,
                Some(why) => {
                    failed += 1;
                    println!("FAIL {}: {why}", verdict.name);
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    i32::from(failed > 0)
}
