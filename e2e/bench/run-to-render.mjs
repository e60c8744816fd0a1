// The time from pressing Run to both panes rendered, in headless Chromium, on the page a student opens (no query
// string, live ids, IndexedDB): a read (`find`) and a write (`updateOne`) with 1,000 and 10,000 documents in the
// collection. Used by browser-bench.mjs (`cargo xtask bench`); also runs alone on any build, so two builds can be
// compared: `node e2e/bench/run-to-render.mjs <dist dir> [label]` prints one JSON row per workload.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openPage, serveDist } from '../harness.mjs';

/** Median of the samples. */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Presses Run and resolves when the app is ready again with both results rendered and painted. */
async function timeRun(page, source) {
  await page.getByTestId('editor').fill(source);
  return page.evaluate(() => new Promise((resolve) => {
    // Yew may keep a statement's element and change its text, so "rendered" means: the panes' text changed.
    const panes = () => [...document.querySelectorAll('[data-testid="pane-raw"], [data-testid="pane-mongoose"]')].map((p) => p.textContent).join('\u0000');
    const before = panes();
    const start = performance.now();
    const done = () => {
      const app = document.querySelector('.app');
      const statements = [...document.querySelectorAll('[data-testid="statement"]')];
      // Both panes show a statement that was not there before the Run.
      if (document.querySelector('[data-testid="parse-error"]')) return true;
      return app?.dataset.phase === 'ready' && statements.length >= 2 && statements.every((s) => !before.includes(s));
    };
    const observer = new MutationObserver(() => {
      if (done()) {
        observer.disconnect();
        requestAnimationFrame(() => resolve(performance.now() - start));
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    const editor = document.querySelector('[data-testid="editor"]');
    editor.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }));
  }));
}

/**
 * A first visit, as a new student makes it (a fresh browser profile: empty IndexedDB, nothing cached): the ms from
 * navigation start to the page ready for a Run, and to the first Run's panes rendered (`User.create`, the lecture's
 * first call). Medians over `samples` visits; rows `browser_page_ready_after_navigation` and
 * `browser_first_run_rendered_after_navigation`.
 */
export async function firstVisit(browser, url, samples = 5) {
  const ready = [];
  const firstRun = [];
  for (let i = 0; i < samples; i += 1) {
    const { context, page, errors } = await openPage(browser, url);
    await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 60000 });
    // performance.now() counts from the navigation's start.
    ready.push(await page.evaluate(() => performance.now()));
    const runMs = await timeRun(page, `const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ username: String }))
await User.create({ username: "ada" })`);
    firstRun.push(await page.evaluate(() => performance.now()));
    if (process.env.BENCH_DEBUG) console.error(`first visit: ready ${ready.at(-1).toFixed(0)} ms, run ${runMs.toFixed(0)} ms`);
    if (errors.length) throw new Error(`page errors on a first visit: ${errors.join('\n')}`);
    await context.close();
  }
  return [
    { workload: 'browser_page_ready_after_navigation', n: 0, crudlab_ms: median(ready), mingo_ms: null },
    { workload: 'browser_first_run_rendered_after_navigation', n: 0, crudlab_ms: median(firstRun), mingo_ms: null },
  ];
}

/** Rows `{ workload, n, crudlab_ms, mingo_ms: null }` for Run → panes rendered at each size. */
export async function runToRender(browser, url, sizes = [1000, 10000], samples = 5) {
  const rows = [];
  for (const n of sizes) {
    const { context, page, errors } = await openPage(browser, url);
    await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 60000 });
    // A program holds at most 200,000 bytes: the documents go in by runs of 2,000.
    for (let from = 0; from < n; from += 2000) {
      const seed = Array.from({ length: Math.min(2000, n - from) }, (_, i) => `{ username: "u${from + i}", age: ${(from + i) % 90} }`);
      const ms = await timeRun(page, `db.people.insertMany([${seed.join(', ')}])`);
      if (process.env.BENCH_DEBUG) console.error(`seeded ${from + seed.length} in ${ms.toFixed(0)} ms`);
    }
    const reads = [];
    const writes = [];
    for (let i = 0; i < samples; i += 1) {
      reads.push(await timeRun(page, `db.people.find({ age: { $gt: ${40 + i} } })`));
      writes.push(await timeRun(page, `db.people.updateOne({ username: "u${i}" }, { $inc: { age: 1 } })`));
    }
    rows.push({ workload: 'browser_run_to_panes_rendered_find', n, crudlab_ms: median(reads), mingo_ms: null });
    rows.push({ workload: 'browser_run_to_panes_rendered_updateOne', n, crudlab_ms: median(writes), mingo_ms: null });
    if (errors.length) throw new Error(`page errors at ${n} documents: ${errors.join('\n')}`);
    await context.close();
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? 'dist');
  const label = process.argv[3] ?? dir;
  const server = await serveDist(dir);
  const browser = await launch();
  try {
    const sizes = (process.env.SIZES ?? '1000,10000').split(',').map(Number);
    for (const row of [...await firstVisit(browser, server.url), ...await runToRender(browser, server.url, sizes)]) {
      console.log(JSON.stringify({ build: label, ...row }));
    }
  } finally {
    await browser.close();
    await server.close();
  }
}
