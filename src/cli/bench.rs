//! `crudlab bench-native SIZE... --data DIR --out FILE`: the native half of `cargo xtask bench`. Generates the
//! deterministic LinkedIn-like dataset (written as Extended JSON so mingo reads the identical documents), times each
//! workload on crudlab's engine (warm-up, several samples, median) and writes `{ workload, n, crudlab_ms }` rows.
//! The aggregation workloads also write what they computed (`aggregate-check-N.json`), which the mingo half checks
//! its own results against.

use crate::dataset::aggregate_options;
pub use crate::dataset::{aggregate_check, courses, users, workloads, AGGREGATIONS};
use crate::engine::collection::{Collection, FindOptions};
use crate::engine::database::Database;
use crate::engine::generator::Generator;
use crate::engine::update::Update;
use bson::{doc, Bson, Document};

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples.get(samples.len() / 2).copied().unwrap_or(0.0)
}

fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let start = crate::clock::monotonic_millis();
    let out = f();
    (crate::clock::monotonic_millis() - start, out)
}

fn loaded(docs: &[Document], index: Option<&str>) -> Collection {
    let mut collection = Collection::new("bench", "users");
    if let Some(field) = index {
        let _ = collection.create_index(&doc! { field: 1 }, true, None);
    }
    let (_, _) = collection.insert_many(docs.to_vec(), true, &mut Generator::deterministic(1));
    collection
}

/// A database holding `users` (the given documents) and the `courses` they purchased.
fn database(docs: &[Document]) -> Database {
    let mut database = Database::new("bench");
    for (name, documents) in [("users", docs.to_vec()), ("courses", courses())] {
        if let Ok((collection, _)) = database.collection_mut(name) {
            let (_, _) = collection.insert_many(documents, true, &mut Generator::deterministic(1));
        }
    }
    database
}

/// Runs every workload at size `n`; returns `(workload, median ms)` rows and, per aggregation workload, what it
/// computed ([`aggregate_check`]).
pub fn run_size(n: u64, docs: &[Document]) -> (Vec<(String, f64)>, Document) {
    let samples = if n >= 1_000_000 {
        3
    } else if n >= 100_000 {
        5
    } else {
        9
    };
    let w = workloads(n);
    let get = |key: &str| w.get_document(key).cloned().unwrap_or_default();
    let mut rows = Vec::new();
    let mut measure = |name: &str, collection: &Collection, f: &dyn Fn(&Collection) -> usize| {
        f(collection);
        let times: Vec<f64> = (0..samples).map(|_| time(|| f(collection)).0).collect();
        rows.push((name.to_string(), median(times)));
    };
    let insert_times: Vec<f64> = (0..samples.min(5))
        .map(|_| {
            let copy = docs.to_vec();
            let mut collection = Collection::new("bench", "users");
            // The change list (what storage would persist) is part of the call, and is dropped with the sample.
            time(|| collection.insert_many(copy, true, &mut Generator::deterministic(1)).1.len()).0
        })
        .collect();
    let plain = loaded(docs, None);
    let (scan, in_array, elem, count, one) = (get("scan"), get("in_array"), get("elemMatch"), get("count"), get("one"));
    let sort = FindOptions { sort: Some(get("sort")), limit: 10, ..FindOptions::default() };
    // Like mingo's cursor, the finds hand out the stored documents; `find_scan_copied` adds the copies a driver
    // result needs, so the cost of materialising is visible too.
    measure("find_scan_two_predicates", &plain, &|c| {
        c.find_refs(&scan, &FindOptions::default()).map_or(0, |d| d.len())
    });
    measure("find_scan_copied", &plain, &|c| c.find(&scan, &FindOptions::default()).map_or(0, |d| d.len()));
    // What any `$lookup` that returns documents of their own pays at least: a copy of every user, dropped
    // afterwards (no peer: mingo's `$lookup` shares the user's objects).
    measure("copy_every_user", &plain, &|c| {
        c.documents().fold(0, |copied, document| {
            drop(std::hint::black_box(document.clone()));
            copied + 1
        })
    });
    measure("find_in_array", &plain, &|c| c.find_refs(&in_array, &FindOptions::default()).map_or(0, |d| d.len()));
    measure("find_elemMatch", &plain, &|c| c.find_refs(&elem, &FindOptions::default()).map_or(0, |d| d.len()));
    measure("sort_limit_10", &plain, &|c| c.find_refs(&Document::new(), &sort).map_or(0, |d| d.len()));
    measure("countDocuments", &plain, &|c| c.count_documents(&count, 0, 0).unwrap_or(0) as usize);
    measure("findOne_unindexed", &plain, &|c| {
        c.find_one(&one, &FindOptions::default()).ok().flatten().map_or(0, |_| 1)
    });
    // One loaded copy at a time: at a million documents each copy takes several gigabytes.
    drop(plain);
    let indexed = loaded(docs, Some("username"));
    measure("findOne_indexed", &indexed, &|c| {
        c.find_one(&one, &FindOptions::default()).ok().flatten().map_or(0, |_| 1)
    });
    drop(indexed);
    rows.insert(0, ("insertMany".to_string(), median(insert_times)));
    // Writes change the data: each sample starts from a fresh copy (the copy is not timed).
    let (tenth, inc) = (get("tenth"), get("inc"));
    let update = Update::compile_operators(&inc, &[]).ok();
    let mut update_times = Vec::new();
    let mut delete_times = Vec::new();
    for _ in 0..samples.min(5) {
        if let Some(update) = &update {
            let mut collection = loaded(docs, None);
            update_times.push(
                time(|| collection.update(&tenth, update, true, false, &mut Generator::deterministic(2)).0.is_ok()).0,
            );
        }
        let mut collection = loaded(docs, None);
        delete_times.push(time(|| collection.delete(&tenth, true).is_ok()).0);
    }
    rows.push(("updateMany_inc_10pct".to_string(), median(update_times)));
    rows.push(("deleteMany_10pct".to_string(), median(delete_times)));
    // Aggregations: each run compiles the pipeline and returns the result documents, as mingo's `Aggregator.run`.
    let database = database(docs);
    let options = aggregate_options();
    let mut checks = Document::new();
    for workload in AGGREGATIONS {
        let pipeline: Vec<Document> = w
            .get_array(workload)
            .map(|stages| stages.iter().filter_map(Bson::as_document).cloned().collect())
            .unwrap_or_default();
        let run = || database.aggregate("users", &pipeline, &options).map(|outcome| outcome.documents);
        let check = match run() {
            Ok(results) => aggregate_check(workload, &results),
            Err(failure) => Bson::String(format!("error: {failure}")),
        };
        checks.insert(workload, check);
        let times: Vec<f64> = (0..samples).map(|_| time(|| run().map_or(0, |d| d.len())).0).collect();
        rows.push((workload.to_string(), median(times)));
    }
    (rows, checks)
}

/// `crudlab bench-native [--data DIR] [--out FILE] SIZE...`.
#[allow(clippy::print_stdout)]
#[allow(clippy::disallowed_methods, reason = "the native command-line tool reads and writes files")]
pub fn run(args: &[String]) -> i32 {
    let mut data_dir = std::path::PathBuf::from("target/bench");
    let mut out = std::path::PathBuf::from("target/bench/native.json");
    let mut sizes = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data_dir = args.next().map(Into::into).unwrap_or(data_dir),
            "--out" => out = args.next().map(Into::into).unwrap_or(out),
            size => match size.parse::<u64>() {
                Ok(n) if n > 0 => sizes.push(n),
                _ => {
                    eprintln!("usage: crudlab bench-native [--data DIR] [--out FILE] SIZE...");
                    return 2;
                }
            },
        }
    }
    if std::fs::create_dir_all(&data_dir).is_err() {
        eprintln!("cannot create {}", data_dir.display());
        return 2;
    }
    let mut rows = Vec::new();
    for n in sizes {
        let docs = users(n);
        // The identical data for mingo, one relaxed Extended JSON document per line.
        let text = docs
            .iter()
            .map(|d| Bson::Document(d.clone()).into_relaxed_extjson().to_string())
            .collect::<Vec<String>>()
            .join("\n");
        let data_file = data_dir.join(format!("users-{n}.jsonl"));
        let workloads_file = data_dir.join(format!("workloads-{n}.json"));
        let courses_text = courses()
            .iter()
            .map(|d| Bson::Document(d.clone()).into_relaxed_extjson().to_string())
            .collect::<Vec<String>>()
            .join("\n");
        let written = std::fs::write(&data_file, text)
            .and_then(|()| std::fs::write(data_dir.join("courses.jsonl"), courses_text))
            .and_then(|()| {
                std::fs::write(&workloads_file, Bson::Document(workloads(n)).into_relaxed_extjson().to_string())
            });
        if let Err(e) = written {
            eprintln!("cannot write the dataset: {e}");
            return 2;
        }
        let (measured, checks) = run_size(n, &docs);
        for (workload, ms) in measured {
            println!("crudlab {workload:<28} n={n:<8} {ms:>10.3} ms");
            rows.push(serde_json::json!({ "workload": workload, "n": n, "crudlab_ms": ms }));
        }
        let checks_file = data_dir.join(format!("aggregate-check-{n}.json"));
        if let Err(e) = std::fs::write(&checks_file, Bson::Document(checks).into_relaxed_extjson().to_string()) {
            eprintln!("cannot write {}: {e}", checks_file.display());
            return 2;
        }
    }
    match std::fs::write(&out, serde_json::to_string_pretty(&rows).unwrap_or_default()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("cannot write {}: {e}", out.display());
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_is_deterministic_and_every_workload_finds_something() {
        let a = users(300);
        assert_eq!(a, users(300));
        let (rows, checks) = run_size(300, &a);
        assert_eq!(rows.len(), 15);
        let collection = loaded(&a, Some("username"));
        let w = workloads(300);
        for key in ["scan", "in_array", "elemMatch", "count", "one", "tenth"] {
            let filter = w.get_document(key).unwrap();
            assert!(collection.count_documents(filter, 0, 0).unwrap() > 0, "{key} matches nothing");
        }
        // Every city and skill is there; the counts add up (two skills per user).
        let cities = checks.get_array("group_avg_by_city").unwrap();
        assert_eq!(cities.len(), 8);
        let users_in = |key: &str, field: &str| -> i32 {
            checks.get_array(key).unwrap().iter().map(|d| d.as_document().unwrap().get_i32(field).unwrap()).sum()
        };
        assert_eq!(users_in("group_avg_by_city", "users"), 300);
        assert!(cities.iter().all(|d| d
            .as_document()
            .unwrap()
            .get_f64("avgAge")
            .is_ok_and(|a| (18.0..78.0).contains(&a))));
        assert_eq!(checks.get_array("unwind_group_skills").unwrap().len(), 8);
        assert_eq!(users_in("unwind_group_skills", "count"), 600);
        // Every purchased course exists: each user joins its distinct course ids.
        let distinct: i64 = a
            .iter()
            .map(|u| {
                let ids = u.get_array("purchasedCourses").unwrap();
                if ids.first() == ids.get(1) {
                    1
                } else {
                    2
                }
            })
            .sum();
        let lookup = checks.get_document("lookup_courses").unwrap();
        assert_eq!((lookup.get_i64("documents").unwrap(), lookup.get_i64("joined").unwrap()), (300, distinct));
        let wanted: i64 = a
            .iter()
            .map(|u| {
                let ids: Vec<i64> =
                    u.get_array("purchasedCourses").unwrap().iter().map(|i| i64::from(i.as_i32().unwrap())).collect();
                ids.iter().enumerate().filter(|(k, id)| !ids[..*k].contains(id)).map(|(_, id)| *id).sum::<i64>()
            })
            .sum();
        assert_eq!(lookup.get_i64("idSum").unwrap(), wanted);
    }
}
