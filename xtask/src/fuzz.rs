//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs each fuzz target of `tests/fuzz.rs` (proptest, stable Rust)
//! in a release build, again and again with fresh random inputs, until its time budget is used; any panic stops the
//! run with proptest's minimal failing input. Prints the executions per target. With `--coverage`, each target also
//! runs once in a build instrumented for source coverage, and the line coverage of the code it aims at is printed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const TARGETS: [&str; 9] = [
    "parser",
    "filter_compile_and_match",
    "stored_records",
    "update_compile_and_apply",
    "aggregation_pipelines",
    "schema_definitions",
    "extended_json_import",
    "share_links",
    "whole_programs_in_both_worlds",
];

/// Inputs per round at most: enough that process start-up is a small part of a round.
const CASES_PER_ROUND: u64 = 5_000;

/// Inputs in a target's first round; later rounds are sized from how long it took, so a slow target (a whole
/// program in both worlds takes ~150 ms) stays within its time budget instead of running one 12-minute round.
const FIRST_ROUND: u64 = 100;

/// The source each target aims at, for its coverage line (paths under `src/`).
const AIMS: [(&str, &[&str]); 9] = [
    ("parser", &["shell/lexer.rs", "shell/parser.rs"]),
    ("filter_compile_and_match", &["engine/query/", "engine/expr/"]),
    ("stored_records", &["engine/raw.rs", "storage/codec.rs", "engine/collection.rs"]),
    ("update_compile_and_apply", &["engine/update/"]),
    ("aggregation_pipelines", &["engine/aggregate/", "engine/expr/"]),
    ("schema_definitions", &["schema/"]),
    ("extended_json_import", &["storage/exchange.rs"]),
    ("share_links", &["playground/share.rs"]),
    ("whole_programs_in_both_worlds", &["runtime/", "shell/", "schema/", "engine/"]),
];

/// Inputs per target in the instrumented build (slower; coverage stops growing long before this).
const COVERAGE_CASES: u64 = 20_000;

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
    for &target in &chosen {
        let budget = Duration::from_secs(seconds);
        let start = Instant::now();
        let mut executions = 0u64;
        let mut cases = FIRST_ROUND;
        while start.elapsed() < budget {
            let round = Instant::now();
            let output = Command::new("cargo")
                .args(["test", "--release", "--quiet", "--test", "fuzz", target, "--", "--exact"])
                .env("CRUDLAB_FUZZ_CASES", cases.to_string())
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
            executions += cases;
            // The next round fills what is left of the budget at this round's pace (at least a few inputs).
            let per_case = round.elapsed().as_secs_f64() / cases as f64;
            let left = budget.saturating_sub(start.elapsed()).as_secs_f64();
            cases = ((left / per_case.max(1e-6)) as u64).clamp(10, CASES_PER_ROUND);
        }
        println!("fuzz {target:<32} {executions:>10} executions in {:.0?}", start.elapsed());
        report.push((target, executions));
    }
    println!("fuzz: no panics; {} executions in all", report.iter().map(|(_, n)| n).sum::<u64>());
    if args.iter().any(|a| a == "--coverage") {
        coverage(root, &chosen)?;
    }
    Ok(())
}

/// Runs each target once in a build instrumented with `-C instrument-coverage` and prints, per target, the share of
/// lines it executed in the code it aims at (llvm-profdata and llvm-cov from rustup's `llvm-tools` component).
fn coverage(root: &Path, chosen: &[&str]) -> Result<(), String> {
    let tools = llvm_tools()?;
    let dir = root.join("target/fuzz-coverage");
    let build = Command::new("cargo")
        .args(["test", "--release", "--test", "fuzz", "--no-run", "--message-format=json"])
        .env("RUSTFLAGS", "-C instrument-coverage")
        .env("CARGO_TARGET_DIR", &dir)
        // Instrumented build scripts and proc macros write profiles too: keep them out of the working tree.
        .env("LLVM_PROFILE_FILE", dir.join("build-%p-%m.profraw"))
        .current_dir(root)
        .output()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if !build.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&build.stderr));
        return Err("the instrumented fuzz targets do not build".into());
    }
    let binary = String::from_utf8_lossy(&build.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        // Integration tests get the package's binaries built too: pick the test target named `fuzz`.
        .filter(|message| message.pointer("/target/name").and_then(|n| n.as_str()) == Some("fuzz"))
        .find_map(|message| message.get("executable").and_then(|e| e.as_str()).map(str::to_string))
        .ok_or("cargo did not name the instrumented test binary")?;
    let src = root.join("src");
    for target in chosen {
        let profiles = dir.join(format!("profiles-{target}"));
        let _ = std::fs::remove_dir_all(&profiles);
        std::fs::create_dir_all(&profiles).map_err(|e| format!("{}: {e}", profiles.display()))?;
        let run = Command::new(&binary)
            .args([*target, "--exact", "--quiet"])
            .env("CRUDLAB_FUZZ_CASES", COVERAGE_CASES.to_string())
            .env("LLVM_PROFILE_FILE", profiles.join("%p-%m.profraw"))
            .current_dir(root)
            .output()
            .map_err(|e| format!("could not run {binary}: {e}"))?;
        if !run.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&run.stdout));
            return Err(format!("fuzz target {target} failed in the instrumented build"));
        }
        let raw: Vec<_> = std::fs::read_dir(&profiles)
            .map_err(|e| e.to_string())?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|x| x == "profraw"))
            .collect();
        let merged = profiles.join("merged.profdata");
        let status = Command::new(tools.join("llvm-profdata"))
            .args(["merge", "--sparse", "-o"])
            .arg(&merged)
            .args(&raw)
            .status()
            .map_err(|e| format!("could not run llvm-profdata: {e}"))?;
        if !status.success() {
            return Err("llvm-profdata could not merge the profiles".into());
        }
        let export = Command::new(tools.join("llvm-cov"))
            .args(["export", "--summary-only", "--instr-profile"])
            .arg(&merged)
            .arg(&binary)
            .output()
            .map_err(|e| format!("could not run llvm-cov: {e}"))?;
        let summary: serde_json::Value =
            serde_json::from_slice(&export.stdout).map_err(|e| format!("llvm-cov export: {e}"))?;
        let aims = AIMS.iter().find(|(name, _)| name == target).map_or(&[][..], |(_, aims)| *aims);
        let (mut covered, mut total) = (0u64, 0u64);
        let files = summary.pointer("/data/0/files").and_then(|f| f.as_array()).cloned().unwrap_or_default();
        for file in files {
            let Some(name) = file.get("filename").and_then(|n| n.as_str()) else { continue };
            let Ok(relative) = Path::new(name).strip_prefix(&src) else { continue };
            let relative = relative.to_string_lossy();
            if !aims.iter().any(|aim| relative.starts_with(aim)) || relative.ends_with("_tests.rs") {
                continue;
            }
            covered += file.pointer("/summary/lines/covered").and_then(|n| n.as_u64()).unwrap_or(0);
            total += file.pointer("/summary/lines/count").and_then(|n| n.as_u64()).unwrap_or(0);
        }
        let percent = if total == 0 { 0.0 } else { 100.0 * covered as f64 / total as f64 };
        println!(
            "coverage {target:<32} {percent:>5.1}% of {total} lines in src/{{{}}} ({COVERAGE_CASES} inputs)",
            aims.join(",")
        );
    }
    Ok(())
}

/// The directory of rustup's llvm-profdata and llvm-cov, installing the `llvm-tools` component when missing.
fn llvm_tools() -> Result<std::path::PathBuf, String> {
    let rustc = |args: &[&str]| {
        Command::new("rustc")
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .map_err(|e| format!("could not run rustc: {e}"))
    };
    let sysroot = rustc(&["--print", "sysroot"])?;
    let host = rustc(&["-vV"])?
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_string))
        .ok_or("rustc -vV names no host")?;
    let bin = Path::new(&sysroot).join("lib/rustlib").join(host).join("bin");
    if !bin.join("llvm-cov").exists() {
        let status = Command::new("rustup")
            .args(["component", "add", "llvm-tools-preview"])
            .status()
            .map_err(|e| format!("could not run rustup: {e}"))?;
        if !status.success() || !bin.join("llvm-cov").exists() {
            return Err("coverage needs rustup's llvm-tools component (rustup component add llvm-tools-preview)".into());
        }
    }
    Ok(bin)
}
