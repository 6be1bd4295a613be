// Differential: the same seeded random sequence of namespace and data operations on a fresh tmpfs and on
// fresh overlays of the UFS1 and UFS2 images. NetBSD gives both file systems one semantics, so every
// operation must end the same way (success, or the same errno) and the trees must end up the same (types,
// modes, sizes, contents, link counts, link targets); on FFS the tree must also survive an unmount and a
// mount of the same device.

import { test } from 'rumpjs:test';
import assert from 'assert';
import { fixture, snapshot, RW_FILESYSTEMS } from './harness.js';

const SEEDS = Array.from({ length: 16 }, (_, i) => i + 1);
const STEPS = 400;
// Names in a few directories the program makes first (and may rename, remove and make again).
const DIRS = ['d1', 'd2', 'd1/sub', 'd2/sub'];
const NAMES = ['f1', 'f2', 'd1/f3', 'd1/f4', 'd2/f5', 'd1/sub/f6', 'd2/sub/f7', ...DIRS, 'd3', 'd1/d4', 'd2/sub/d5'];

/// xorshift32: the same sequence on every run and every file system.
function rng(seed) {
  let x = seed * 2654435761 >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/// The operations as [description, fn(root)] for one seed.
function program(seed) {
  const r = rng(seed);
  const name = () => NAMES[r(NAMES.length)];
  const ops = DIRS.map((d) => [`mkdir ${d}`, (m) => rump.sys.mkdir(`${m}/${d}`, 0o755)]);
  for (let i = 0; i < STEPS; i++) {
    const a = name();
    const b = name();
    const k = r(12);
    const n = r(20000);
    const byte = r(256);
    switch (k) {
      case 0:
        ops.push([`mkdir ${a}`, (m) => rump.sys.mkdir(`${m}/${a}`, 0o755)]);
        break;
      case 1:
        ops.push([`rmdir ${a}`, (m) => rump.sys.rmdir(`${m}/${a}`)]);
        break;
      case 2:
        ops.push([`write ${a} ${n}`, (m) => fs.writeFileSync(`${m}/${a}`, new Uint8Array(n).fill(byte))]);
        break;
      case 3:
        ops.push([`append ${a} ${n}`, (m) => fs.appendFileSync(`${m}/${a}`, new Uint8Array(n % 3000).fill(byte))]);
        break;
      case 4:
        ops.push([`unlink ${a}`, (m) => rump.sys.unlink(`${m}/${a}`)]);
        break;
      case 5:
      case 6:
        ops.push([`rename ${a} ${b}`, (m) => rump.sys.rename(`${m}/${a}`, `${m}/${b}`)]);
        break;
      case 7:
        ops.push([`link ${a} ${b}`, (m) => rump.sys.link(`${m}/${a}`, `${m}/${b}`)]);
        break;
      case 8:
        ops.push([`symlink ${a} ${b}`, (m) => rump.sys.symlink(a, `${m}/${b}`)]);
        break;
      case 9:
        ops.push([`truncate ${a} ${n}`, (m) => rump.sys.truncate(`${m}/${a}`, n)]);
        break;
      case 10:
        ops.push([`chmod ${a} ${(n & 0o777).toString(8)}`, (m) => rump.sys.chmod(`${m}/${a}`, n & 0o777)]);
        break;
      case 11:
        ops.push([`pwrite ${a} @${n}`, (m) => {
          const fd = rump.sys.open(`${m}/${a}`, rump.O_WRONLY);
          try {
            rump.sys.pwrite(fd, new Uint8Array(100).fill(byte), n);
          } finally {
            rump.sys.close(fd);
          }
        }]);
        break;
    }
  }
  return ops;
}

function runOn(fsys, ops, t) {
  let mp;
  if (fsys.type === 'tmpfs') {
    mp = `/mnt/diff-tmpfs`;
    fs.mkdirSync(mp, { recursive: true });
    rump.mount('tmpfs', mp);
  } else if (fsys.newfs) {
    mp = `/mnt/diff-${fsys.newfs.version}-${fsys.newfs.byteOrder}-${fsys.newfs.bsize}`;
    fs.mkdirSync(mp, { recursive: true });
    rump.mount('ffs', mp, { newfs: fsys.newfs });
  } else {
    mp = t.overlay(fixture(fsys.image));
  }
  rump.sys.chmod(mp, 0o755);
  const results = ops.map(([what, fn]) => {
    try {
      fn(mp);
      return `${what}: ok`;
    } catch (e) {
      return `${what}: ${e.code}`;
    }
  });
  const tree = snapshot(mp);
  if (fsys.type === 'tmpfs') {
    rump.unmount(mp);
  } else {
    // What FFS keeps is on the device: unmounted (the syscall leaves the device registered) and
    // mounted again read-only from it, the tree is the same.
    const dev = rump.mounts().find((x) => x.on === mp).from;
    rump.sys.unmount(mp, 0);
    rump.mount('ffs', mp, { spec: dev, readonly: true });
    assert.deepStrictEqual(snapshot(mp), tree, `${fsys.name}: the tree after an unmount and a mount`);
    if (fsys.newfs) rump.unmount(mp);
  }
  return { results, tree };
}

for (const seed of SEEDS) {
  test(`differential: tmpfs and FFS agree on seed ${seed}`, (t) => {
    const ops = program(seed);
    const [ref, ...others] = RW_FILESYSTEMS.map((f) => ({ name: f.name, ...runOn(f, ops, t) }));
    for (const o of others) {
      const i = o.results.findIndex((r, j) => r !== ref.results[j]);
      if (i >= 0) {
        const from = Math.max(0, i - 8);
        assert.fail(
          `${o.name} and ${ref.name} differ at step ${i} of seed ${seed}:\n` +
            `  ${ref.name}: ${ref.results[i]}\n  ${o.name}: ${o.results[i]}\n` +
            `steps ${from}..${i}:\n${ref.results.slice(from, i + 1).map((l) => '  ' + l).join('\n')}`,
        );
      }
      assert.deepStrictEqual(o.tree, ref.tree, `the trees of ${o.name} and ${ref.name} after seed ${seed}`);
    }
  });
}
