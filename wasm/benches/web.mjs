// The browser kernel's figures, side by side in one run (web.sh runs this): the .wasm's size, boot to the
// first prompt of the page in headless Chromium, and reading every file of one image four ways: the
// page's kernel in Chromium, the image given through the page's file input (read block by block with
// FileReaderSync) and fetched whole by ?image= (the kernel alone, no File reads); the package in Node (the
// image by host path); and the native CLI (`rumpjs run`). All run the same walk
// (readdirSync withFileTypes + readFileSync of each file) in their own engine, timed inside it: the first
// pass on a fresh mount (the kernel's caches empty, the host's page cache warm) and the best of two more.
//
//   node web.mjs PACKAGE_DIR IMAGE RUMPJS CHROMIUM CHROMEDRIVER [PAGE_LOADS]
import { createServer } from 'node:http';
import { readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync, createReadStream, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, extname } from 'node:path';
import { Browser } from '../tests/node/webdriver.mjs';

const [pkg, image, rumpjs, chromium, chromedriver, loads = '10'] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'rumpjs-web-bench-'));

const WALK = `(fs, root) => {
  const walk = (dir, t) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = dir + '/' + d.name;
      if (d.isDirectory()) walk(p, t);
      else if (d.isFile()) { t.bytes += fs.readFileSync(p).length; t.files++; }
    }
    return t;
  };
  const pass = () => { const t0 = performance.now(); const t = walk(root, { files: 0, bytes: 0 }); t.ms = performance.now() - t0; return t; };
  const first = pass();
  const warm = Math.min(pass().ms, pass().ms);
  return JSON.stringify({ files: first.files, bytes: first.bytes, firstMs: first.ms, warmMs: warm });
}`;

const row = (what, v, note = '') => console.log(`${what.padEnd(46)} ${String(v).padStart(12)}  ${note}`);
const secs = (ms) => (ms / 1000).toFixed(2) + ' s';

// The .wasm
const wasm = readFileSync(join(pkg, 'kernel_bg.wasm'));
row('kernel_bg.wasm, raw', `${wasm.length} B`);
row('kernel_bg.wasm, gzip -9', `${gzipSync(wasm, { level: 9 }).length} B`, '(goal <= 1 MiB)');

// The native CLI and Node first: they need nothing from the browser.
const script = join(work, 'read-all.js');
writeFileSync(script, `console.log((${WALK})(fs, '/ffs'));\n`);
const native = JSON.parse(execFileSync(rumpjs, ['--image', `${image}:/ffs`, 'run', script], { encoding: 'utf8' }).trim().split('\n').pop());
const { boot } = await import(join(pkg, 'rumpjs.js'));
const k = await boot();
k.fs.mkdirSync('/ffs');
k.mount('ffs', '/ffs', { image, readonly: true });
const node = JSON.parse(new Function(`return ${WALK}`)()(k.fs, '/ffs'));
k.unmount('/ffs');

// Chromium: the package folder from a plain static server, as any would serve it.
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
// It answers no Range request: the page fetches /image (the image) whole for ?image=.
const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/image') {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(image).size });
    return createReadStream(image).pipe(res);
  }
  const p = join(pkg, path.replace(/^\/$/, '/index.html'));
  if (p.includes('..') || !existsSync(p)) return res.writeHead(404).end('not found');
  res.writeHead(200, { 'Content-Type': TYPES[extname(p)] ?? 'application/octet-stream' }).end(readFileSync(p));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const b = await Browser.start({ chromium, chromedriver, profile: join(work, 'profile'), downloads: work });
let chromium_;
let chromiumMemory;
try {
  // Boot to the first prompt: the page's own figure (navigation start to the console taking lines, the
  // demo image mounted), each load a fresh page.
  const prompts = [];
  for (let i = 0; i < Number(loads); i++) {
    await b.goto(`${base}/index.html?load=${i}`);
    await b.until('the page', () => b.script('return document.body.dataset.ready === "yes"'));
    prompts.push(Number(await b.script('return document.body.dataset.promptMs')));
  }
  const sorted = [...prompts].sort((x, y) => x - y);
  row(`boot to first prompt, Chromium (${prompts.length} loads)`, `${sorted[0].toFixed(0)} ms`,
    `min; median ${sorted[sorted.length >> 1].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms (goal <= 100 ms)`);

  const walkInPage = async () => {
    await b.script(`document.getElementById('mode').value = 'js'; document.getElementById('command').value = arguments[0];
      document.getElementById('run').click();`, `(${WALK})(fs, '/ffs')`);
    const out = await b.waitText('#output', '"warmMs"', 600000);
    return JSON.parse(/\{"files"[^}]*\}/.exec(out.replace(/\\"/g, '"'))[0]);
  };
  // The image through the file input: a File, read in 1 MiB windows with FileReaderSync.
  await b.call('POST', `/element/${await b.find('#file')}/value`, { text: image });
  await b.waitText('#output', `on /ffs`, 120000);
  chromium_ = await walkInPage();
  // The image fetched whole (?image= from a server without ranges): the kernel alone, no File reads.
  await b.goto(`${base}/index.html?image=/image`);
  await b.until('the image', () => b.script('return document.body.dataset.ready === "yes"'), 300000);
  chromiumMemory = await walkInPage();
} finally {
  await b.quit();
  server.close();
  rmSync(work, { recursive: true, force: true });
}

console.log(`\nreading every file (${native.files} files, ${(native.bytes / 1e6).toFixed(0)} MB): first pass on a fresh mount / best warm pass`);
for (const [what, r] of [['native CLI (rumpjs run, release)', native], ['Node 20 (the package)', node],
  ['Chromium (the page, file input)', chromium_], ['Chromium (the page, ?image= in memory)', chromiumMemory]]) {
  if (r.files !== native.files || r.bytes !== native.bytes) throw new Error(`${what} read ${r.files} files, ${r.bytes} bytes`);
  row(what, `${secs(r.firstMs)} / ${secs(r.warmMs)}`, r === native ? '' : `${(r.firstMs / native.firstMs).toFixed(2)}x / ${(r.warmMs / native.warmMs).toFixed(2)}x native (goal <= 2x)`);
}
