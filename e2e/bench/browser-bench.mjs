// In-browser benchmark: crudlab's engine compiled to WASM against mingo loaded in the same page, on identical data
// (finds, writes, and aggregations run by mingo's Aggregator on the same pipelines, their results checked against
// crudlab's), plus IndexedDB persistence and the time from Run to both panes rendered. Needs a release build with the
// `bench-exports` feature in target/bench/dist (`cargo xtask bench` builds it). Appends `browser_*` rows to
// target/bench/results.json (`{ workload, n, crudlab_ms, mingo_ms }`, mingo_ms null where mingo has no peer).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '../harness.mjs';
import { firstVisit, runToRender } from './run-to-render.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(root, 'target', 'bench', 'dist');
const mingoDir = path.join(root, 'e2e', 'node_modules', 'mingo', 'esm');
const benchDir = path.join(root, 'e2e', 'bench');
const resultsFile = path.join(root, 'target', 'bench', 'results.json');
const quick = process.argv.includes('--quick');

const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

/** Serves the bench build and mingo's ES modules (which import paths without `.js`) on loopback. */
function serve() {
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    let base = dist;
    let rel = urlPath === '/' ? 'index.html' : urlPath;
    if (urlPath.startsWith('/mingo/')) {
      base = mingoDir;
      rel = urlPath.slice('/mingo/'.length);
    } else if (urlPath === '/bench/aggregate-check.mjs') {
      base = benchDir;
      rel = 'aggregate-check.mjs';
    }
    let file = path.join(base, rel);
    // A directory import must be redirected, so the module's own relative imports resolve inside it.
    if (!fs.existsSync(`${file}.js`) && fs.existsSync(path.join(file, 'index.js')) && !urlPath.endsWith('.js')) {
      res.writeHead(302, { location: `${urlPath}/index.js` });
      res.end();
      return;
    }
    const candidates = [file, `${file}.js`, path.join(file, 'index.js')];
    file = candidates.find((f) => f.startsWith(base) && fs.existsSync(f) && fs.statSync(f).isFile());
    if (!file) {
      if (process.env.BENCH_DEBUG) console.error(`404 ${urlPath}`);
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => server.close(r)),
  })));
}

/** Runs inside the page: builds the dataset, times every workload on both engines, returns rows. */
async function pageBench({ n, samples }) {
  const mingo = await import('/mingo/index.js');
  const { aggregateCheck, sameCheck } = await import('/bench/aggregate-check.mjs');
  const b = window.wasmBindings;
  let seed = 42;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const skills = ['rust', 'go', 'js', 'sql', 'python', 'java', 'c', 'ml'];
  const cities = ['London', 'Paris', 'Lagos', 'Lima', 'Oslo', 'Pune', 'Austin', 'Seoul'];
  const docs = [];
  for (let i = 0; i < n; i += 1) {
    docs.push({
      _id: i + 1,
      username: `user${i}`,
      age: 18 + Math.floor(rand() * 60),
      premium: rand() < 0.3,
      profile: { city: cities[i % cities.length], skills: [skills[i % 8], skills[(i * 3) % 8]] },
      scores: [{ subject: 'db', score: Math.floor(rand() * 100) }, { subject: 'web', score: Math.floor(rand() * 100) }],
      purchasedCourses: [i % 50, (i * 7) % 50],
      likes: 0,
    });
  }
  const json = JSON.stringify(docs);
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  const time = (f) => { const t = performance.now(); f(); return performance.now() - t; };
  const measure = (f, check) => {
    check(f());
    f();
    const xs = [];
    for (let i = 0; i < samples; i += 1) xs.push(time(f));
    return median(xs);
  };
  const rows = [];
  const same = (label) => (got) => { if (got === undefined || got === null) throw new Error(`${label}: no result`); };
  const compare = (workload, crudlab, mingoFn) => {
    const c = crudlab();
    const m = mingoFn();
    if (c !== m) throw new Error(`${workload}: crudlab returned ${c}, mingo ${m}`);
    rows.push({ workload: `browser_${workload}`, n, crudlab_ms: measure(crudlab, same(workload)), mingo_ms: measure(mingoFn, same(workload)) });
  };

  // insertMany: crudlab's engine insert (JSON parsing excluded); mingo has no storage, so no peer.
  const loads = [];
  for (let i = 0; i < Math.max(3, samples); i += 1) loads.push(b.bench_load(json, '', false));
  rows.push({ workload: 'browser_insertMany', n, crudlab_ms: median(loads), mingo_ms: null });

  const scan = { age: { $gte: 30 }, premium: true };
  compare('find_scan_two_predicates', () => b.bench_find(JSON.stringify(scan), '', 0), () => mingo.find(docs, scan).all().length);
  const inArray = { 'profile.skills': { $in: ['rust', 'sql'] } };
  compare('find_in_array', () => b.bench_find(JSON.stringify(inArray), '', 0), () => mingo.find(docs, inArray).all().length);
  const elem = { scores: { $elemMatch: { subject: 'db', score: { $gt: 90 } } } };
  compare('find_elemMatch', () => b.bench_find(JSON.stringify(elem), '', 0), () => mingo.find(docs, elem).all().length);
  compare('sort_limit_10', () => b.bench_find('{}', JSON.stringify({ age: -1, _id: 1 }), 10), () => mingo.find(docs, {}).sort({ age: -1, _id: 1 }).limit(10).all().length);
  const counted = { age: { $lt: 30 } };
  compare('countDocuments', () => b.bench_count(JSON.stringify(counted)), () => mingo.find(docs, counted).all().length);
  const one = { username: `user${Math.floor(n / 2)}` };
  compare('findOne_unindexed', () => b.bench_find_one(JSON.stringify(one)), () => (mingo.find(docs, one).next() ? 1 : 0));
  b.bench_load(json, 'username', true);
  compare('findOne_indexed', () => b.bench_find_one(JSON.stringify(one)), () => (mingo.find(docs, one).next() ? 1 : 0));

  // Aggregations: the same pipelines (from the engine's dataset module) and courses on both sides; mingo reaches
  // `courses` through its collectionResolver option. Each run builds the Aggregator and returns the documents.
  const { courses, pipelines } = JSON.parse(b.bench_load_courses());
  const aggregateOptions = { collectionResolver: (name) => (name === 'courses' ? courses : undefined) };
  for (const [workload, pipeline] of Object.entries(pipelines)) {
    const stages = JSON.stringify(pipeline);
    const run = () => new mingo.Aggregator(pipeline, aggregateOptions).run(docs);
    const problem = sameCheck(aggregateCheck(workload, run()), JSON.parse(b.bench_aggregate_check(workload, stages)));
    if (problem) throw new Error(`${workload} at n=${n}: mingo and crudlab differ: ${problem}`);
    compare(workload, () => b.bench_aggregate(stages), () => run().length);
  }

  // Writes: updateMany $inc on 10%, deleteMany of 10%, each on fresh data.
  const tenth = { _id: { $lte: Math.floor(n / 10) } };
  const copy = () => docs.map((d) => structuredClone(d));
  const writes = (label, crudlabOp, mingoOp) => {
    const c = [];
    const m = [];
    for (let i = 0; i < samples; i += 1) {
      b.bench_load(json, '', false);
      c.push(time(crudlabOp));
      const data = copy();
      m.push(time(() => mingoOp(data)));
    }
    rows.push({ workload: `browser_${label}`, n, crudlab_ms: median(c), mingo_ms: median(m) });
  };
  writes('updateMany_inc_10pct', () => b.bench_update_many(JSON.stringify(tenth), JSON.stringify({ $inc: { likes: 1 } })), (data) => mingo.updateMany(data, tenth, { $inc: { likes: 1 } }));
  writes('deleteMany_10pct', () => b.bench_delete_many(JSON.stringify(tenth)), (data) => {
    const query = new mingo.Query(tenth);
    return data.filter((d) => !query.test(d)).length;
  });
  return { rows, json };
}

const server = await serve();
const browser = await launch();
const rows = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  if (process.env.BENCH_DEBUG) page.on('console', (m) => console.error(`console: ${m.text()}`));
  await page.goto(`${server.url}?deterministic`);
  await page.waitForFunction(() => window.wasmBindings && window.wasmBindings.bench_find, null, { timeout: 30000 });
  const sizes = quick ? [10000] : [10000, 100000];
  for (const n of sizes) {
    const { rows: measured } = await page.evaluate(pageBench, { n, samples: n >= 100000 ? 3 : 5 });
    rows.push(...measured);
  }
  // IndexedDB: 10k persisted in one transaction; one persisted insertOne; cold start of 100k (10k with --quick).
  const idbDocs = (n) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ _id: i + 1, username: `user${i}`, age: i % 80, tags: ['a', 'b'] })));
  const tenK = idbDocs(10000);
  const persisted = await page.evaluate((json) => window.wasmBindings.bench_idb_insert_many(json), tenK);
  rows.push({ workload: 'browser_idb_insertMany_one_transaction', n: 10000, crudlab_ms: persisted, mingo_ms: null });
  const single = await page.evaluate(() => window.wasmBindings.bench_idb_insert_one());
  rows.push({ workload: 'browser_idb_insertOne', n: 10001, crudlab_ms: single, mingo_ms: null });
  const coldN = quick ? 10000 : 100000;
  await page.evaluate((json) => window.wasmBindings.bench_idb_insert_many(json), idbDocs(coldN));
  await page.reload();
  await page.waitForFunction(() => window.wasmBindings && window.wasmBindings.bench_idb_cold_load, null, { timeout: 30000 });
  const cold = await page.evaluate((n) => window.wasmBindings.bench_idb_cold_load(n), coldN);
  rows.push({ workload: 'browser_idb_cold_load', n: coldN, crudlab_ms: cold, mingo_ms: null });
  // Its IndexedDB part alone (open and read every record), after a reload so nothing is warm.
  await page.reload();
  await page.waitForFunction(() => window.wasmBindings && window.wasmBindings.bench_idb_read_records, null, { timeout: 30000 });
  const read = await page.evaluate(() => window.wasmBindings.bench_idb_read_records());
  rows.push({ workload: 'browser_idb_cold_read_records', n: coldN, crudlab_ms: read, mingo_ms: null });
  // Record format: BSON bytes (what storage uses) against serde-wasm-bindgen objects, 10k users each way.
  const formats = JSON.parse(await page.evaluate(() => window.wasmBindings.bench_record_formats(10000)));
  for (const [format, f] of Object.entries(formats)) {
    rows.push({ workload: `browser_idb_format_${format}_write`, n: 10000, crudlab_ms: f.write_ms, mingo_ms: null });
    rows.push({ workload: `browser_idb_format_${format}_read`, n: 10000, crudlab_ms: f.read_ms, mingo_ms: null });
    console.log(`record format ${format}: ${f.changed} of 10000 documents read back different${f.example ? `, e.g. ${f.example.slice(0, 400)}` : ''}`);
  }

  // Run → both panes rendered, a read and a write, with 1,000 and 10,000 documents (run-to-render.mjs).
  rows.push(...await firstVisit(browser, server.url, quick ? 3 : 5));
  rows.push(...await runToRender(browser, server.url, quick ? [1000] : [1000, 10000]));
  if (errors.length) throw new Error(`page errors: ${errors.join('\n')}`);
  await context.close();
} finally {
  await browser.close();
  await server.close();
}

fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
let existing = [];
try { existing = JSON.parse(fs.readFileSync(resultsFile, 'utf8')); } catch { existing = []; }
const merged = existing.filter((row) => !String(row.workload).startsWith('browser_')).concat(rows);
fs.writeFileSync(resultsFile, `${JSON.stringify(merged, null, 2)}\n`);
const pad = (s, w) => String(s).padEnd(w);
console.log(`${pad('workload', 52)}${pad('n', 9)}${pad('crudlab ms', 13)}${pad('mingo ms', 12)}ratio`);
for (const row of rows) {
  const ratio = row.mingo_ms == null ? '' : `${(row.mingo_ms / Math.max(row.crudlab_ms, 0.001)).toFixed(1)}x`;
  console.log(`${pad(row.workload, 52)}${pad(row.n, 9)}${pad(row.crudlab_ms.toFixed(2), 13)}${pad(row.mingo_ms == null ? '-' : row.mingo_ms.toFixed(2), 12)}${ratio}`);
}
console.log(`wrote ${resultsFile}`);
