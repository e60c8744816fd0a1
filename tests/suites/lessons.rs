//! Every bundled lesson replayed step by step: the seed runs, the starter alone does not pass, the solution does.

/// One message per failing step of any bundled lesson, and how many steps were replayed.
pub fn failures(deterministic: bool) -> (usize, Vec<String>) {
    let (lessons, errors) = crudlab::lessons::bundled();
    let mut failures: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let mut steps = 0;
    for lesson in &lessons {
        for verdict in crudlab::lessons::verify_in(lesson, deterministic) {
            steps += 1;
            if let Some(why) = verdict.failure {
                failures.push(format!("{}: {why}", verdict.name));
            }
        }
    }
    (steps, failures)
}
