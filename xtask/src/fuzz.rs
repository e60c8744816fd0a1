//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs each fuzz target of `tests/fuzz.rs` (proptest, stable Rust)
//! in a release build, again and again with fresh random inputs, until its time budget is used; any panic stops the
//! run with proptest's minimal failing input. Prints the executions per target.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const TARGETS: [&str; 7] = [
    "parser",
    "filter_compile_and_match",
    "update_compile_and_apply",
    "schema_definitions",
    "extended_json_import",
    "share_links",
    "whole_programs_in_both_worlds",
];

/// Inputs per round: enough that process start-up is a small part of a round.
const CASES_PER_ROUND: u64 = 5_000;

pub fn fuzz(root: &Path, args: &[String]) -> Result<(), String> {
    let seconds = match args.iter().position(|a| a == "--seconds") {
        Some(i) => args.get(i + 1).and_then(|s| s.parse::<u64>().ok()).ok_or("--seconds takes a whole number")?,
        None => 60,
    };
    let chosen: Vec<&str> = {
        let named: Vec<&str> = args.iter().map(String::as_str).filter(|a| TARGETS.contains(a)).collect();
        if named.is_empty() {
            TARGETS.to_vec()
        } else {
            named
        }
    };
    let build = Command::new("cargo")
        .args(["test", "--release", "--quiet", "--test", "fuzz", "--no-run"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if !build.success() {
        return Err("the fuzz targets do not build".into());
    }
    let mut report = Vec::new();
    for target in chosen {
        let budget = Duration::from_secs(seconds);
        let start = Instant::now();
        let mut executions = 0u64;
        while start.elapsed() < budget {
            let output = Command::new("cargo")
                .args(["test", "--release", "--quiet", "--test", "fuzz", target, "--", "--exact"])
                .env("CRUDLAB_FUZZ_CASES", CASES_PER_ROUND.to_string())
                .current_dir(root)
                .output()
                .map_err(|e| format!("could not start cargo: {e}"))?;
            if !output.status.success() {
                println!("{}", String::from_utf8_lossy(&output.stdout));
                eprintln!("{}", String::from_utf8_lossy(&output.stderr));
                return Err(format!("fuzz target {target} failed after {executions} executions (see the input above)"));
            }
            let stderr = String::from_utf8_lossy(&output.stderr);
            for line in stderr.lines().filter(|l| l.contains("slow input")) {
                println!("{line}");
            }
            executions += CASES_PER_ROUND;
        }
        println!("fuzz {target:<32} {executions:>10} executions in {:.0?}", start.elapsed());
        report.push((target, executions));
    }
    println!("fuzz: no panics; {} executions in all", report.iter().map(|(_, n)| n).sum::<u64>());
    Ok(())
}
