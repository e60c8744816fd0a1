//! `cargo xtask bench [--quick] [--sizes 10000,100000]`: crudlab against mingo 7 on identical data, natively
//! (crudlab's release binary vs mingo in Node) and in headless Chromium (the engine in WASM vs mingo in the same
//! page, plus IndexedDB), in one run. Prints the ratio table and writes `target/bench/results.json`.

use std::path::Path;
use std::process::Command;

fn run(root: &Path, program: &str, args: &[String], what: &str) -> Result<(), String> {
    println!("xtask bench: {what}");
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

fn rows(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<Vec<serde_json::Value>>(&text).ok())
        .unwrap_or_default()
}

pub fn bench(root: &Path, args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    let sizes: Vec<String> = match args.iter().position(|a| a == "--sizes") {
        Some(i) => args.get(i + 1).map(|s| s.split(',').map(str::to_string).collect()).unwrap_or_default(),
        None if quick => vec!["10000".into()],
        None => vec!["10000".into(), "100000".into(), "1000000".into()],
    };
    if sizes.is_empty() || sizes.iter().any(|s| s.parse::<u64>().map_or(true, |n| n == 0)) {
        return Err("--sizes takes a comma-separated list of document counts, e.g. --sizes 10000,100000".into());
    }
    crate::tools::ensure_build_tools(root)?;
    crate::tools::ensure_test_tools(root)?;
    let dir = root.join("target").join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let s = |items: &[&str]| items.iter().map(|i| i.to_string()).collect::<Vec<_>>();

    run(root, "cargo", &s(&["build", "--release", "--quiet", "--package", "crudlab"]), "build crudlab (release)")?;
    let mut native = s(&["bench-native", "--data", "target/bench", "--out", "target/bench/native.json"]);
    native.extend(sizes.iter().cloned());
    run(root, &root.join("target/release/crudlab").to_string_lossy(), &native, "crudlab, natively")?;
    // A million documents need more than Node's default heap (mingo copies them on insert).
    let mut mingo = s(&["--max-old-space-size=12288", "e2e/bench/mingo-bench.mjs"]);
    mingo.extend(sizes.iter().cloned());
    run(root, "node", &mingo, "mingo 7.2.7 in Node, same data")?;

    // Join the two halves by (workload, n), then let the browser half append its `browser_` rows.
    let mingo_rows = rows(&dir.join("mingo.json"));
    let joined: Vec<serde_json::Value> = rows(&dir.join("native.json"))
        .into_iter()
        .map(|row| {
            let peer = mingo_rows
                .iter()
                .find(|m| m["workload"] == row["workload"] && m["n"] == row["n"])
                .map(|m| m["mingo_ms"].clone())
                .unwrap_or(serde_json::Value::Null);
            serde_json::json!({ "workload": row["workload"], "n": row["n"], "crudlab_ms": row["crudlab_ms"], "mingo_ms": peer })
        })
        .collect();
    let results = dir.join("results.json");
    std::fs::write(&results, serde_json::to_string_pretty(&joined).unwrap_or_default())
        .map_err(|e| format!("cannot write {}: {e}", results.display()))?;

    run(
        root,
        "trunk",
        &s(&["build", "--release", "--features", "bench-exports", "--dist", "target/bench/dist"]),
        "build the page with benchmark entry points",
    )?;
    let mut browser = s(&["e2e/bench/browser-bench.mjs"]);
    if quick {
        browser.push("--quick".into());
    }
    run(root, "node", &browser, "crudlab (WASM) and mingo in headless Chromium, and IndexedDB")?;

    println!("\n{:<52}{:>9}{:>14}{:>12}{:>9}", "workload", "n", "crudlab ms", "mingo ms", "ratio");
    for row in rows(&results) {
        let crudlab = row["crudlab_ms"].as_f64().unwrap_or(0.0);
        let mingo = row["mingo_ms"].as_f64();
        let ratio = mingo.map(|m| format!("{:.1}x", m / crudlab.max(0.001))).unwrap_or_default();
        println!(
            "{:<52}{:>9}{:>14.3}{:>12}{:>9}",
            row["workload"].as_str().unwrap_or("?"),
            row["n"],
            crudlab,
            mingo.map(|m| format!("{m:.3}")).unwrap_or_else(|| "-".into()),
            ratio
        );
    }
    println!("(ratio = mingo / crudlab: above 1 means crudlab is faster)\nwrote {}", results.display());
    Ok(())
}
