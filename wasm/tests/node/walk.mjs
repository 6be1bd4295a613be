// The built package in Node: every committed FFS fixture (UFS1/UFS2 in both byte orders and every
// geometry, the 4.2BSD formats, MBR/disklabel/GPT disks) mounted through `k.mount` and walked through
// `k.fs`, each entry checked against the fixture's manifest (tests/fixtures/make-ffs-fixtures.sh): type,
// permissions, owner, size, mtime, flags, link count, device number, link target, contents, and every
// directory's listing. Also: an image by host path (positioned reads), writes on an overlay, and bad
// images giving errors while the kernel goes on. Prints one summary line; any mismatch throws.
//
//   node walk.mjs PACKAGE_DIR FIXTURE_DIR
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const [pkg, fixtures] = process.argv.slice(2);
const { boot } = await import(join(pkg, 'rumpjs.js'));

const gunzip = (name) => gunzipSync(readFileSync(join(fixtures, name)));
const unhex = (h) => Buffer.from(h, 'hex').toString('utf8');

function manifest(name) {
  return gunzip(`${name}.manifest.gz`).toString('utf8').split('\n').filter(Boolean).map((l) => {
    const f = l.split('\t');
    const [sec, ns] = f[6].split('.');
    return {
      path: unhex(f[0]), kind: f[1], mode: parseInt(f[2], 8), uid: +f[3], gid: +f[4], size: +f[5],
      mtimeMs: Number(sec) * 1000 + Number(ns) / 1e6, flags: f[7], nlink: +f[8],
      rdev: f[9] === '-' ? null : f[9].split(',').map(Number),
      target: f[10] === '-' ? null : unhex(f[10]), content: f[11] === '-' ? null : f[11],
    };
  });
}

// The fixture script's contents: each 512-byte sector starts with the file id and sector number.
function content(fid, size) {
  const out = Buffer.alloc(size, '.');
  for (let sec = 0; sec * 512 < size; sec++) {
    const head = `${fid.toString(16).padStart(8, '0')}:${sec.toString(16).padStart(8, '0')}:`;
    out.write(head, sec * 512, Math.min(head.length, size - sec * 512), 'latin1');
    if (sec * 512 + 511 < size) out[sec * 512 + 511] = 10;
  }
  return out;
}

function fnv(data) {
  let h = 0xcbf29ce484222325n;
  for (const b of data) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

const makedev = (ma, mi) => Number(((BigInt(ma) << 8n) & 0xfff00n) | (BigInt(mi) & 0xffn) | ((BigInt(mi) << 12n) & 0xfff00000n));
const FLAGS = { uchg: 0x2, nodump: 0x1, uappnd: 0x4, schg: 0x20000, sappnd: 0x40000, arch: 0x10000 };
const flagsOf = (s) => (s === '-' ? 0 : s.split(',').reduce((a, f) => a | FLAGS[f], 0));
const TYPES = { file: 0o100000, dir: 0o040000, link: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000 };

function checkTree(k, root, entries) {
  const children = new Map();
  let bytes = 0;
  for (const e of entries) {
    const full = e.path === '.' ? root : `${root}/${e.path}`;
    const st = k.fs.lstatSync(full);
    assert.equal(st.mode & 0o170000, TYPES[e.kind], `${e.path}: type`);
    if (e.kind !== 'link') assert.equal(st.mode & 0o7777, e.mode, `${e.path}: mode`);
    assert.deepEqual([st.uid, st.gid], [e.uid, e.gid], `${e.path}: owner`);
    assert.equal(st.mtimeMs, e.mtimeMs, `${e.path}: mtime`);
    assert.equal(st.flags, flagsOf(e.flags), `${e.path}: flags`);
    if (e.rdev) assert.equal(st.rdev, makedev(...e.rdev), `${e.path}: rdev`);
    if (e.kind === 'file') {
      assert.equal(st.size, e.size, `${e.path}: size`);
      assert.equal(st.nlink, e.nlink, `${e.path}: nlink`);
      const data = k.fs.readFileSync(full);
      assert.equal(data.length, e.size, `${e.path}: bytes read`);
      bytes += data.length;
      if (e.content?.startsWith('gen:')) assert.ok(content(+e.content.slice(4), e.size).equals(Buffer.from(data)), `${e.path}: contents`);
      else if (e.content) assert.equal(fnv(data), e.content, `${e.path}: content hash`);
    } else if (e.kind === 'link') {
      const t = k.fs.readlinkSync(full);
      assert.equal(t, e.target, `${e.path}: target`);
      assert.equal(st.size, Buffer.byteLength(t), `${e.path}: link size`);
    } else if (e.kind === 'dir' && !children.has(e.path)) children.set(e.path, new Set());
    if (e.path !== '.') {
      const i = e.path.lastIndexOf('/');
      const parent = i < 0 ? '.' : e.path.slice(0, i);
      if (!children.has(parent)) children.set(parent, new Set());
      children.get(parent).add(e.path.slice(i + 1));
    }
  }
  for (const [dir, names] of children) {
    const got = k.fs.readdirSync(dir === '.' ? root : `${root}/${dir}`).sort();
    assert.deepEqual(got, [...names].sort(), `${dir}: listing`);
  }
  return bytes;
}

const k = await boot();
k.fs.mkdirSync('/ffs');
let images = 0, entries = 0, bytes = 0;
function walk(img, name, options = {}) {
  const m = manifest(name);
  k.mount('ffs', '/ffs', { image: img, readonly: true, ...options });
  try {
    bytes += checkTree(k, '/ffs', m);
  } catch (e) {
    e.message = `${name} (${options.partition ?? 'whole'}): ${e.message}`;
    throw e;
  } finally {
    k.unmount('/ffs');
  }
  images++;
  entries += m.length;
}

for (const ufs of ['ufs1', 'ufs2']) {
  for (const order of ['le', 'be']) {
    for (const [b, f] of [[4096, 512], [8192, 1024], [16384, 2048], [32768, 4096], [65536, 8192]]) {
      const name = `${ufs}-${order}-${b}-${f}`;
      walk(gunzip(`${name}.img.gz`), name);
    }
  }
}
for (const order of ['le', 'be']) walk(gunzip(`ufs1-42-${order}.img.gz`), `ufs1-42-${order}`);
const label = gunzip('disk-mbr-label.img.gz');
walk(label, 'disk-a', { partition: 'a' });
walk(label, 'disk-e', { partition: 'e' });
walk(gunzip('disk-gpt.img.gz'), 'disk-a');
walk(gunzip('disk-mbr.img.gz'), 'disk-e');
walk(gunzip('disk-label.img.gz'), 'disk-e');

// An image by host path: read with positioned reads, never whole.
const dir = mkdtempSync(join(tmpdir(), 'rumpjs-walk-'));
try {
  const path = join(dir, 'disk-gpt.img');
  writeFileSync(path, gunzip('disk-gpt.img.gz'));
  walk(path, 'disk-a');

  // Writes on an overlay: seen through the kernel, the image untouched.
  const img = gunzip('ufs2-le-8192-1024.img.gz');
  const before = Buffer.from(img);
  k.mount('ffs', '/ffs', { image: img, overlay: true });
  k.fs.writeFileSync('/ffs/new.txt', 'written in wasm\n');
  assert.equal(k.fs.readFileSync('/ffs/new.txt', 'utf8'), 'written in wasm\n');
  k.unmount('/ffs');
  assert.ok(before.equals(img), 'an overlay leaves the image as it was');

  // Writable: the bytes change, and mounting again shows the file.
  k.mount('ffs', '/ffs', { image: img });
  k.fs.writeFileSync('/ffs/new.txt', 'kept\n');
  k.unmount('/ffs');
  assert.ok(!before.equals(img), 'a writable mount writes the image');
  k.mount('ffs', '/ffs', { image: img, readonly: true });
  assert.equal(k.fs.readFileSync('/ffs/new.txt', 'utf8'), 'kept\n');
  k.unmount('/ffs');

  // Bad images: an error naming the errno and why, and the kernel goes on.
  const bad = [
    ['a truncated image', gunzip('ufs2-be-8192-1024.img.gz').subarray(0, 40000)],
    ['not a file system', new Uint8Array(1 << 20).fill(0x5a)],
    ['a wrong partition', label, { partition: 'q' }],
  ];
  for (const [what, image, o] of bad) {
    assert.throws(() => k.mount('ffs', '/ffs', { image, readonly: true, ...o }), (e) => {
      assert.ok(typeof e.errno === 'number' && /^E[A-Z]+$/.test(e.code), `${what}: ${e.message}`);
      assert.equal(e.syscall, 'mount');
      assert.match(e.message, /^E[A-Z]+: .*, mount '\/ffs'/, what);
      return true;
    }, what);
  }
  assert.throws(() => k.mount('ffs', '/ffs', { image: join(dir, 'missing.img'), readonly: true }), { code: 'ENOENT' });
  assert.ok(k.fs.readdirSync('/').includes('ffs'), 'the kernel goes on');
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Node's shapes: errors, Stats, Dirent.
assert.throws(() => k.fs.readFileSync('/tmp/none'), { code: 'ENOENT', errno: 2, syscall: 'open', path: '/tmp/none' });
assert.throws(() => k.fs.readdirSync('/tmp/none'), { code: 'ENOENT', syscall: 'scandir' });
assert.throws(() => k.fs.mkdirSync('/tmp'), { code: 'EEXIST', errno: 17 });
k.fs.writeFileSync('/tmp/a', 'abc');
assert.ok(k.fs.statSync('/tmp/a').isFile());
assert.ok(k.fs.readdirSync('/tmp', { withFileTypes: true }).find((d) => d.name === 'a').isFile());
assert.equal(k.fs.readFileSync('/tmp/a', 'hex'), '616263');
assert.deepEqual(Object.keys(k.sys), Object.keys(k.signatures()));
assert.equal(k.sys.open.length, 3);
assert.match(k.dmesg(), /mounted ffs/);

// A tree copied inside the kernel (the console's cp -R).
k.fs.mkdirSync('/tmp/src/d', { recursive: true });
k.fs.writeFileSync('/tmp/src/d/f', 'x');
k.fs.symlinkSync('d/f', '/tmp/src/l');
k.fs.cpSync('/tmp/src', '/tmp/dst', { recursive: true });
assert.equal(k.fs.readFileSync('/tmp/dst/d/f', 'utf8'), 'x');
assert.equal(k.fs.readlinkSync('/tmp/dst/l'), 'd/f');

// Mounts without an image, as rump.mount: options, read-only, and the file system's refusal in words.
k.fs.mkdirSync('/t2');
k.mount('tmpfs', '/t2', { readonly: true, size: '1m' });
assert.ok(k.mounts().find((m) => m.on === '/t2').readonly);
assert.throws(() => k.fs.writeFileSync('/t2/x', ''), { code: 'EROFS' });
k.unmount('/t2');
assert.throws(() => k.mount('nosuchfs', '/t2'), { syscall: 'mount' });

console.log(`walked ${images} images, ${entries} entries, ${bytes} bytes: all as their manifests say`);
