//! Idempotent installs of the pinned toolchain: each tool is checked at its version first and installed only when missing.

use std::path::Path;
use std::process::Command;

pub const TRUNK_VERSION: &str = "0.21.14";
pub const BINARYEN_VERSION: &str = "132";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What a command prints on stdout, or None when it cannot run or fails.
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn run(program: &str, args: &[&str], dir: Option<&Path>) -> Result<(), String> {
    println!("xtask: installing: {program} {}", args.join(" "));
    let mut command = Command::new(program);
    command.args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let status = command.status().map_err(|e| format!("could not start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed with {status}", args.join(" ")))
    }
}

/// The wasm-bindgen version locked in Cargo.lock; the CLI must be exactly this version.
pub fn locked_wasm_bindgen_version(root: &Path) -> Result<String, String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("reading Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines.next().and_then(|l| l.trim().strip_prefix("version = \"")) {
                return Ok(version.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

/// The wasm32 target, trunk, wasm-bindgen-cli and wasm-opt, at their pinned versions.
pub fn ensure_build_tools(root: &Path) -> Result<(), String> {
    let installed_targets = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !installed_targets.lines().any(|t| t.trim() == "wasm32-unknown-unknown") {
        run("rustup", &["target", "add", "wasm32-unknown-unknown"], None)?;
    }
    for component in ["rustfmt", "clippy"] {
        let probe = if component == "rustfmt" { ["fmt", "--version"] } else { ["clippy", "--version"] };
        if output_of("cargo", &probe).is_none() {
            run("rustup", &["component", "add", component], None)?;
        }
    }
    let trunk = output_of("trunk", &["--version"]).unwrap_or_default();
    if !trunk.split_whitespace().any(|w| w == TRUNK_VERSION) {
        run("cargo", &["install", "trunk", "--version", TRUNK_VERSION, "--locked"], None)?;
    }
    let bindgen_version = locked_wasm_bindgen_version(root)?;
    let bindgen = output_of("wasm-bindgen", &["--version"]).unwrap_or_default();
    if !bindgen.split_whitespace().any(|w| w == bindgen_version) {
        // `--locked` fails for wasm-bindgen-cli on this toolchain; the version pin is what matters.
        run("cargo", &["install", "wasm-bindgen-cli", "--version", &bindgen_version], None)?;
    }
    let wasm_opt = output_of("wasm-opt", &["--version"]).unwrap_or_default();
    if !wasm_opt.contains(&format!("version {BINARYEN_VERSION}")) {
        run("npm", &["install", "--global", "--no-audit", "--no-fund", &format!("binaryen@{BINARYEN_VERSION}")], None)?;
    }
    Ok(())
}

/// Debian's Chromium and chromedriver, and playwright-core in e2e/ (which never downloads a browser).
pub fn ensure_test_tools(root: &Path) -> Result<(), String> {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        run("apt-get", &["update"], None)?;
        run("apt-get", &["install", "-y", "--no-install-recommends", "chromium", "chromium-driver"], None)?;
    }
    let e2e = root.join("e2e");
    let wanted = read_locked_playwright(&e2e)?;
    let installed = std::fs::read_to_string(e2e.join("node_modules/playwright-core/package.json")).unwrap_or_default();
    if !installed.contains(&format!("\"version\": \"{wanted}\"")) {
        run("npm", &["ci", "--no-audit", "--no-fund"], Some(&e2e))?;
    }
    Ok(())
}

fn read_locked_playwright(e2e: &Path) -> Result<String, String> {
    let manifest =
        std::fs::read_to_string(e2e.join("package.json")).map_err(|e| format!("reading e2e/package.json: {e}"))?;
    manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("\"playwright-core\": \""))
        .map(|rest| rest.trim_end_matches([',', '"']).to_string())
        .ok_or_else(|| "e2e/package.json does not pin playwright-core".to_string())
}

/// The integration tests that run in the browser: `tests/browser_*.rs`.
pub fn browser_test_targets(root: &Path) -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(root.join("tests")).map_err(|e| format!("reading tests/: {e}"))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.starts_with("browser_") && name.ends_with(".rs"))
        .map(|name| name.trim_end_matches(".rs").to_string())
        .collect();
    names.sort();
    Ok(names)
}
