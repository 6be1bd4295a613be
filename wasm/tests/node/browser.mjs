// The page in headless Chromium, served by a plain static file server (no rumpjs process behind it):
// it boots, shows its boot log and mounts, runs `?run=ls -l /ffs` on the demo image; an image given
// through the file input (UFS2, big-endian, inside an MBR, made by Debian's makefs) is read block by block
// in the Worker and every file's `sha256` in the console equals the digest of the bytes the package reads
// in Node; `?image=URL&run=…` shows the command's output; a line of JavaScript is evaluated; a corrupt
// image gives an error line and the page goes on; "writable" mounts on an overlay, JavaScript writes a file
// and "download image" saves the changed image into DOWNLOAD_DIR (wasm/tests/package.rs runs fsck on it
// and reads it with The Sleuth Kit); a 2 GiB image (BIG_IMAGE, sparse) opens and is read without the
// tab's renderer growing by more than 150 MB. Prints the figures measured.
//
//   node browser.mjs PACKAGE_DIR FIXTURE_DIR CHROMIUM CHROMEDRIVER PROFILE_DIR DOWNLOAD_DIR BIG_IMAGE
import { createServer } from 'node:http';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync, statSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, extname } from 'node:path';
import assert from 'node:assert/strict';
import { Browser } from './webdriver.mjs';

const [pkg, fixtures, chromium, chromedriver, profile, downloads, big] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'rumpjs-browser-'));
const image = (name) => {
  const p = join(work, `${name}.img`);
  if (!existsSync(p)) writeFileSync(p, gunzipSync(readFileSync(join(fixtures, `${name}.img.gz`))));
  return p;
};

// The package's files, and the images under /images/: nothing else.
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname.startsWith('/images/') ? join(work, url.pathname.slice(8)) : join(pkg, url.pathname === '/' ? 'index.html' : url.pathname);
  if (p.includes('..') || !existsSync(p)) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, { 'Content-Type': TYPES[extname(p)] ?? 'application/octet-stream' }).end(readFileSync(p));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const b = await Browser.start({ chromium, chromedriver, profile, downloads });
const ready = () => b.until('the page to be ready', () => b.script('return document.body.dataset.ready === "yes"'));
const runLine = async (mode, line) => {
  const before = (await b.text('#output')).length;
  await b.script(`document.getElementById('mode').value = arguments[0]; document.getElementById('command').value = arguments[1];
    document.getElementById('run').click();`, mode, line);
  // The line's echo, then its output: wait until the status is redrawn after it.
  await b.until(`${line.slice(0, 40)} to run`, async () => (await b.text('#output')).length > before + line.length + 3);
  await new Promise((r) => setTimeout(r, 200));
  return (await b.text('#output')).slice(before);
};
const figures = {};

// The resident memory of the renderers of the Chromium this test started (descendants of chromedriver),
// in bytes: the tab and its Worker.
function rendererBytes() {
  const parent = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(pid, stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {}
  }
  const ours = (pid) => {
    for (let p = pid, i = 0; p && p !== '0' && i < 64; p = parent.get(p), i++) if (p === String(b.child.pid)) return true;
    return false;
  };
  let total = 0;
  for (const pid of parent.keys()) {
    try {
      if (!ours(pid) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      total += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
    } catch {}
  }
  return total;
}
try {
  // The demo image and ?run=.
  const t0 = Date.now();
  await b.goto(`${base}/index.html?run=${encodeURIComponent('ls -l /ffs')}`);
  await ready();
  figures.pageReadyMs = Date.now() - t0;
  figures.kernelBoot = await b.text('#boot-time');
  const log = await b.text('#log');
  assert.match(log, /NetBSD 10\.1 \(RUMPJS\)/);
  assert.match(log, /hosted by a JavaScript engine, as WebAssembly/);
  assert.match(await b.text('#mounts'), /\/dev\/ffs0\s+\/ffs\s+ffs\s+read-only/);
  const ls = await b.waitText('#output', 'primes -> data/primes.txt');
  assert.match(ls, /\$ ls -l \/ffs\n/);

  // A line of JavaScript, evaluated by the page's own engine with fs in scope.
  assert.match(await runLine('js', "fs.readdirSync('/ffs').includes('README')"), /\ntrue\n/);

  // An image picked with the file input: UFS2, big-endian, inside an MBR (disk-mbr, by makefs).
  const disk = image('disk-mbr');
  const input = await b.find('#file');
  await b.call('POST', `/element/${input}/value`, { text: disk });
  await b.waitText('#output', 'mounted disk-mbr.img on /ffs');
  assert.match(await b.text('#log'), /UFS2 big-endian/);
  // Every file's sha256, in the page's console, against the bytes the package reads in Node.
  const { boot } = await import(join(pkg, 'rumpjs.js'));
  const k = await boot();
  k.fs.mkdirSync('/ffs');
  k.mount('ffs', '/ffs', { image: disk, readonly: true });
  const files = [];
  const walk = (dir) => {
    for (const d of k.fs.readdirSync(dir, { withFileTypes: true })) {
      const p = `${dir}/${d.name}`;
      if (d.isDirectory()) walk(p);
      else if (d.isFile()) files.push(p);
    }
  };
  walk('/ffs');
  const quote = (p) => `'${p.replace(/'/g, "'\\''")}'`;
  const out = await runLine('cmd', `sha256 ${files.map(quote).join(' ')}`);
  for (const f of files) {
    const want = createHash('sha256').update(k.fs.readFileSync(f)).digest('hex');
    assert.ok(out.includes(`SHA256 (${f}) = ${want}`), `${f}: sha256 ${want} not in\n${out}`);
  }
  figures.sha256Files = files.length;

  // ?image=URL&run=COMMAND: the image fetched, the command's output shown.
  image('ufs1-42-le');
  await b.goto(`${base}/index.html?image=${encodeURIComponent('/images/ufs1-42-le.img')}&run=${encodeURIComponent('cat /ffs/hello.txt')}`);
  await ready();
  await b.waitText('#output', '$ cat /ffs/hello.txt\nhello, world');
  assert.match(await b.text('#log'), /UFS1 little-endian/);

  // A corrupt image: an error line with the errno and why, and the page goes on.
  const bad = join(work, 'corrupt.img');
  writeFileSync(bad, readFileSync(disk).subarray(0, 300000));
  await b.call('POST', `/element/${await b.find('#file')}/value`, { text: bad });
  const err = await b.waitText('#output', 'corrupt.img: E');
  assert.match(err, /corrupt\.img: E[A-Z]+: [^\n]*, mount '\/ffs'/);
  assert.match(await runLine('cmd', 'ls /tmp /kern'), /hostname/);

  // Writable: the image on an overlay in memory, a file written from JavaScript, the image downloaded.
  await b.click('#writable');
  const le = image('ufs1-le-8192-1024');
  await b.call('POST', `/element/${await b.find('#file')}/value`, { text: le });
  await b.waitText('#output', 'mounted ufs1-le-8192-1024.img on /ffs');
  assert.match(await b.text('#mounts'), /\/ffs\s+ffs\s+read-write/);
  await runLine('js', "fs.writeFileSync('/ffs/from-chromium.txt', 'written in Chromium\\n')");
  assert.match(await runLine('cmd', 'cat /ffs/from-chromium.txt'), /written in Chromium/);
  await b.click('#download-image');
  const saved = join(downloads, 'ufs1-le-8192-1024.img');
  await b.until('the download', () => existsSync(saved) && statSync(saved).size === statSync(le).size);
  assert.ok(!readFileSync(le).equals(readFileSync(saved)), 'the downloaded image holds the change');

  // A 2 GiB image: opened from the file input and read where asked, never whole.
  await b.click('#writable'); // read-only again
  const rssBefore = rendererBytes();
  await b.call('POST', `/element/${await b.find('#file')}/value`, { text: big });
  await b.waitText('#output', `mounted ${big.split('/').pop()} on /ffs`);
  assert.match(await runLine('cmd', 'cat /ffs/hello.txt'), /two gigabytes away/);
  assert.match(await runLine('cmd', 'df -h /ffs'), /2\.0G|1\.9G/);
  const grown = rendererBytes() - rssBefore;
  figures.bigImageRendererGrowthMB = Math.round(grown / 1e6);
  assert.ok(rssBefore > 0, 'the renderers were found');
  assert.ok(grown < 150e6, `the tab grew by ${grown} bytes opening a 2 GiB image`);
} finally {
  await b.quit();
  server.close();
  rmSync(work, { recursive: true, force: true });
}
console.log(`browser: all checks passed ${JSON.stringify(figures)}`);
