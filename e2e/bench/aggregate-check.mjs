// What an aggregation workload computed, reduced as crudlab's `aggregate_check` (src/cli/bench.rs) reduces it, and a
// comparison of two such checks (numbers equal to 1e-9 relative: averages are divisions on both sides).

/** The check of `workload`'s results: the grouping results as they are; for `lookup_courses`, counts and sums. */
export function aggregateCheck(workload, results) {
  if (workload !== 'lookup_courses') return results;
  let joined = 0;
  let idSum = 0;
  let priceSum = 0;
  for (const result of results) {
    for (const course of result.courses ?? []) {
      joined += 1;
      idSum += course._id;
      priceSum += course.price;
    }
  }
  return { documents: results.length, joined, idSum, priceSum };
}

/** Where `a` and `b` differ (a description), or null when they are the same. */
export function sameCheck(a, b, where = '') {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) ? null : `${where}: ${a} vs ${b}`;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return `${where}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
    for (let i = 0; i < a.length; i += 1) {
      const problem = sameCheck(a[i], b[i], `${where}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a);
    if (keys.join() !== Object.keys(b).join()) return `${where}: fields ${keys} vs ${Object.keys(b)}`;
    for (const key of keys) {
      const problem = sameCheck(a[key], b[key], `${where}.${key}`);
      if (problem) return problem;
    }
    return null;
  }
  return a === b ? null : `${where}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}
