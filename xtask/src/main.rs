//! `cargo xtask`: installs the pinned tools crudlab needs and runs the app (`serve`) or every check (`test`).

mod bench;
mod csp;
mod fuzz;
mod tools;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask <serve|test|tools|bench|fuzz>
  serve   install what is missing (wasm32 target, trunk, wasm-bindgen-cli, wasm-opt), then `trunk serve`
  test    install what tests need (also Chromium, chromedriver, playwright-core), then run every check
  tools   only install what is missing, and say what was done
  bench   crudlab vs mingo 7 natively and in headless Chromium (--quick: 10k only; --sizes 10000,100000)
  fuzz    run every fuzz target for a time budget (--seconds N, default 60; or name targets;
          --coverage adds each target's line coverage)
  csp     write the Content-Security-Policy into a built index.html (Trunk's post_build hook runs it)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&root),
        Some("test") => test(&root),
        Some("bench") => bench::bench(&root, &args[1..]),
        Some("fuzz") => fuzz::fuzz(&root, &args[1..]),
        Some("csp") => csp::csp(&args[1..]),
        Some("tools") => tools::ensure_build_tools(&root).and_then(|()| tools::ensure_test_tools(&root)),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn project_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

fn serve(root: &Path) -> Result<(), String> {
    tools::ensure_build_tools(root)?;
    println!("xtask: serving crudlab at http://127.0.0.1:8080/ (Ctrl+C stops)");
    let status = Command::new("trunk")
        .arg("serve")
        .current_dir(root)
        .status()
        .map_err(|e| format!("could not start trunk: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("trunk serve exited with {status}"))
    }
}

/// Test counts read off one step's output.
#[derive(Default, Clone, Copy)]
struct Counts {
    passed: u64,
    failed: u64,
}

struct Step {
    name: &'static str,
    program: &'static str,
    args: Vec<String>,
    dir: PathBuf,
    envs: Vec<(&'static str, String)>,
}

fn test(root: &Path) -> Result<(), String> {
    tools::ensure_build_tools(root)?;
    tools::ensure_test_tools(root)?;
    let s = |items: &[&str]| items.iter().map(|item| item.to_string()).collect::<Vec<_>>();
    let browser_tests = tools::browser_test_targets(root)?;
    let mut wasm_clippy =
        s(&["clippy", "--target", "wasm32-unknown-unknown", "--lib", "--bins", "--features", "crash-test"]);
    // Optimised as the published bundle is, so the stack a nested document needs is the stack it needs in a page.
    let mut wasm_test = s(&["test", "--target", "wasm32-unknown-unknown", "--profile", "browser-test"]);
    for name in &browser_tests {
        wasm_clippy.extend(["--test".to_string(), name.clone()]);
        wasm_test.extend(["--test".to_string(), name.clone()]);
    }
    wasm_clippy.extend(s(&["--", "-D", "warnings"]));
    let chromedriver = ("CHROMEDRIVER", "/usr/bin/chromedriver".to_string());
    let steps = vec![
        Step {
            name: "format",
            program: "cargo",
            args: s(&["fmt", "--all", "--check"]),
            dir: root.into(),
            envs: vec![],
        },
        Step {
            name: "clippy (native)",
            program: "cargo",
            args: s(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]),
            dir: root.into(),
            envs: vec![],
        },
        Step { name: "clippy (wasm32)", program: "cargo", args: wasm_clippy, dir: root.into(), envs: vec![] },
        Step {
            name: "native tests",
            program: "cargo",
            args: s(&["test", "--workspace"]),
            dir: root.into(),
            envs: vec![],
        },
        Step {
            name: "browser tests (wasm-bindgen-test, headless Chromium)",
            program: "cargo",
            args: wasm_test,
            dir: root.into(),
            envs: vec![chromedriver],
        },
        Step {
            name: "release build (trunk)",
            program: "trunk",
            args: s(&["build", "--release"]),
            dir: root.into(),
            envs: vec![],
        },
        Step {
            name: "crash-test build (trunk, feature crash-test, for the crash banner's end-to-end test)",
            program: "trunk",
            args: s(&["build", "--release", "--features", "crash-test", "--dist", "target/crash-test-dist"]),
            dir: root.into(),
            envs: vec![],
        },
        Step {
            name: "end-to-end tests (playwright-core, headless Chromium)",
            program: "npm",
            args: s(&["test"]),
            dir: root.join("e2e"),
            envs: vec![],
        },
    ];

    let mut total = Counts::default();
    let mut report = Vec::new();
    for step in &steps {
        println!("\nxtask: ── {} ──", step.name);
        let started = Instant::now();
        let (ok, counts) = run_step(step)?;
        let seconds = started.elapsed().as_secs_f64();
        total.passed += counts.passed;
        total.failed += counts.failed;
        let tally = if counts.passed + counts.failed > 0 {
            format!(" ({} passed, {} failed)", counts.passed, counts.failed)
        } else {
            String::new()
        };
        report.push(format!("  {} {}{} in {:.1}s", if ok { "ok  " } else { "FAIL" }, step.name, tally, seconds));
        if !ok {
            print_summary(&report, total);
            return Err(format!("step `{}` failed; later steps were not run", step.name));
        }
    }
    print_summary(&report, total);
    Ok(())
}

fn print_summary(report: &[String], total: Counts) {
    println!("\nxtask: summary");
    for line in report {
        println!("{line}");
    }
    println!("tests: {} passed, {} failed", total.passed, total.failed);
}

/// Runs a step, echoing its output as it comes and counting the tests it reports.
fn run_step(step: &Step) -> Result<(bool, Counts), String> {
    let mut command = Command::new(step.program);
    command.args(&step.args).current_dir(&step.dir).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (key, value) in &step.envs {
        command.env(key, value);
    }
    let mut child = command.spawn().map_err(|e| format!("could not start {}: {e}", step.program))?;
    let (sender, receiver) = mpsc::channel::<String>();
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        let sender = sender.clone();
        readers.push(thread::spawn(move || forward(BufReader::new(out), &sender, false)));
    }
    if let Some(err) = child.stderr.take() {
        let sender = sender.clone();
        readers.push(thread::spawn(move || forward(BufReader::new(err), &sender, true)));
    }
    drop(sender);
    let mut counts = Counts::default();
    for line in receiver {
        count_line(&line, &mut counts);
    }
    for reader in readers {
        let _ = reader.join();
    }
    let status = child.wait().map_err(|e| format!("waiting for {}: {e}", step.program))?;
    Ok((status.success(), counts))
}

fn forward(reader: impl BufRead, sender: &mpsc::Sender<String>, is_stderr: bool) {
    for line in reader.lines().map_while(Result::ok) {
        if is_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
        let _ = std::io::stdout().flush();
        if sender.send(line).is_err() {
            break;
        }
    }
}

/// Reads cargo's `test result: ok. 3 passed; 0 failed; ...` and node's `# pass 3` / `# fail 0` lines.
fn count_line(line: &str, counts: &mut Counts) {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("test result: ") {
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(label), Some(number)) = (words.next(), words.next()) else { continue };
            let Ok(n) = number.parse::<u64>() else { continue };
            match label {
                "passed" => counts.passed += n,
                "failed" => counts.failed += n,
                _ => {}
            }
        }
    } else if let Some(n) = line.strip_prefix("# pass ").and_then(|n| n.parse::<u64>().ok()) {
        counts.passed += n;
    } else if let Some(n) = line.strip_prefix("# fail ").and_then(|n| n.parse::<u64>().ok()) {
        counts.failed += n;
    }
}
