// Shared end-to-end harness: serves dist/ on loopback, launches Debian's Chromium headless, fails on console errors.
// Tests open the page as a student does, with no query string (live ObjectIds and the real clock); only a test that
// compares exact ObjectIds, dates or pixels adds `?deterministic`.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = path.join(root, 'dist');
export const shotDir = path.join(root, 'target', 'e2e');

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** The bundle built with the `crash-test` feature (`crashForTest()` panics), for the crash banner's test only. */
export const crashTestDistDir = path.join(root, 'target', 'crash-test-dist');

/** Serves a static build (dist/ unless told) on 127.0.0.1 at a free port; resolves to { url, close }. */
export function serveDist(dir = distDir) {
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`no build in ${dir}: run \`cargo xtask test\` (it builds it)`);
  }
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    let file = path.join(dir, urlPath === '/' ? 'index.html' : urlPath);
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      file = path.join(dir, 'index.html');
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/** Launches headless Chromium from Debian's package; never a downloaded browser. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens a page that records console errors and uncaught exceptions into `errors`. */
export async function openPage(browser, url, viewport = { width: 1280, height: 720 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(url);
  return { context, page, errors };
}

/** Saves a full-page screenshot as target/e2e/<name>.png. */
export async function screenshot(page, name) {
  fs.mkdirSync(shotDir, { recursive: true });
  const file = path.join(shotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Registers a test file's set-up and tear-down: serves a build (dist/ unless told) and launches Chromium.
 * Returns an object whose `server` and `browser` are filled in before the first test runs.
 */
export function serveAndLaunch(dir = distDir) {
  const env = {};
  before(async () => {
    env.server = await serveDist(dir);
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** Waits until the app is ready (loaded, or done saving a Run). */
export async function ready(page) {
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
}

/** Replaces the editor's text (when given), runs it with Ctrl+Enter and waits until the app is ready again. */
export async function run(page, code) {
  if (code !== undefined) await page.getByTestId('editor').fill(code);
  await page.getByTestId('editor').press('Control+Enter');
  await ready(page);
}

/** Runs `code` and returns the text of both panes, `{ raw, mongoose }`. */
export async function runAndRead(page, code) {
  await run(page, code);
  return {
    raw: await page.getByTestId('pane-raw').innerText(),
    mongoose: await page.getByTestId('pane-mongoose').innerText(),
  };
}
