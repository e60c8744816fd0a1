// The mingo half of `cargo xtask bench`: reads the dataset and workloads crudlab wrote (relaxed Extended JSON, one
// document per line), runs the same workloads with mingo 7 (warm-up, several samples, median) and writes
// `{ workload, n, mingo_ms }` rows to target/bench/mingo.json. ObjectIds become their hex strings (same order).
// The aggregation workloads run mingo's `Aggregator` on the same pipelines (the `courses` collection reached through
// its `collectionResolver` option), and their results are checked against what crudlab computed
// (aggregate-check-N.json, see aggregate-check.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { find, updateMany, Query, Aggregator } from 'mingo';
import { aggregateCheck, sameCheck } from './aggregate-check.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = path.join(root, 'target', 'bench');
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);

const revive = (_key, value) => {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if (typeof value.$oid === 'string') return value.$oid;
    if (value.$date !== undefined) return new Date(typeof value.$date === 'string' ? value.$date : Number(value.$date.$numberLong));
  }
  return value;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (f) => { const t = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t) / 1e6; };

const rows = [];
const courses = fs.readFileSync(path.join(dir, 'courses.jsonl'), 'utf8').split('\n').map((line) => JSON.parse(line, revive));
const aggregateOptions = { collectionResolver: (name) => (name === 'courses' ? courses : undefined) };
for (const n of sizes) {
  const docs = fs.readFileSync(path.join(dir, `users-${n}.jsonl`), 'utf8').split('\n').map((line) => JSON.parse(line, revive));
  const w = JSON.parse(fs.readFileSync(path.join(dir, `workloads-${n}.json`), 'utf8'), revive);
  const samples = n >= 1000000 ? 3 : n >= 100000 ? 5 : 9;
  const measure = (workload, f) => {
    f();
    const xs = [];
    for (let i = 0; i < samples; i += 1) xs.push(time(f));
    rows.push({ workload, n, mingo_ms: median(xs) });
    console.log(`mingo   ${workload.padEnd(28)} n=${String(n).padEnd(8)} ${median(xs).toFixed(3).padStart(10)} ms`);
  };
  // insertMany: mingo keeps no collection; the peer work is copying the documents into a new array.
  measure('insertMany', () => docs.map((d) => structuredClone(d)).length);
  measure('find_scan_two_predicates', () => find(docs, w.scan).all().length);
  measure('find_scan_copied', () => find(docs, w.scan).all().map((d) => structuredClone(d)).length);
  measure('find_in_array', () => find(docs, w.in_array).all().length);
  measure('find_elemMatch', () => find(docs, w.elemMatch).all().length);
  measure('sort_limit_10', () => find(docs, {}).sort(w.sort).limit(10).all().length);
  measure('countDocuments', () => find(docs, w.count).all().length);
  measure('findOne_unindexed', () => (find(docs, w.one).next() ? 1 : 0));
  // mingo has no indexes: its indexed findOne is the same scan.
  measure('findOne_indexed', () => (find(docs, w.one).next() ? 1 : 0));
  const writes = (workload, op) => {
    const xs = [];
    for (let i = 0; i < Math.min(samples, 5); i += 1) {
      const copy = docs.map((d) => structuredClone(d));
      xs.push(time(() => op(copy)));
    }
    rows.push({ workload, n, mingo_ms: median(xs) });
    console.log(`mingo   ${workload.padEnd(28)} n=${String(n).padEnd(8)} ${median(xs).toFixed(3).padStart(10)} ms`);
  };
  writes('updateMany_inc_10pct', (copy) => updateMany(copy, w.tenth, w.inc));
  writes('deleteMany_10pct', (copy) => { const q = new Query(w.tenth); return copy.filter((d) => !q.test(d)).length; });
  // Aggregations: each run builds the Aggregator from the pipeline and returns the result documents (`run`).
  const expected = JSON.parse(fs.readFileSync(path.join(dir, `aggregate-check-${n}.json`), 'utf8'));
  for (const workload of ['group_avg_by_city', 'unwind_group_skills', 'lookup_courses']) {
    const run = () => new Aggregator(w[workload], aggregateOptions).run(docs);
    const problem = sameCheck(aggregateCheck(workload, run()), expected[workload]);
    if (problem) throw new Error(`${workload} at n=${n}: mingo and crudlab differ: ${problem}`);
    measure(workload, () => run().length);
  }
}
fs.writeFileSync(path.join(dir, 'mingo.json'), `${JSON.stringify(rows, null, 2)}\n`);
