// The 2012 demo end to end: NetBSD's rump kernel in a web page mounted an FFS image read-only at /ffs and
// answered commands on it. Here: the demo tree (demo/tree + demo/spec, made into fixtures/demo.img
// by NetBSD's makefs, as demo/make-demo.sh makes the embedded image) is mounted read-only at /ffs; it
// lists, reads and hashes as its manifest (written from the host tree, not by rumpjs) says; every kind
// of write is refused with EROFS and changes nothing; kernfs answers as NetBSD's does; rump.info('/ffs')
// tells the superblock's facts.

import { describe, test, before, after } from 'rumpjs:test';
import assert from 'assert';
import { run as sh } from '/rumpjs/lib/commands.js';
import manifest from './fixtures/demo.manifest.js';
import { expectErrno, expectErrnoAsync, sys, O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, S_IFCHR, S_IFIFO, S_IFREG, S_IFMT, MNT_RDONLY } from '../vfs/harness.js';

const T0 = 1338508800; // 2012-06-01, every time in the image
const entries = manifest.entries;
const FFS = '/ffs';
const at = (p) => (p === '/' ? FFS : FFS + p);

const TYPE_BITS = { dir: 0o040000, file: 0o100000, link: 0o120000, fifo: 0o010000, char: 0o020000, block: 0o060000 };

/// NetBSD's makedev (sys/types.h).
const makedev = (major, minor) => ((major << 8) & 0x000fff00) | (minor & 0xff) | ((minor << 12) & 0xfff00000);

before(() => {
  fs.mkdirSync(FFS, { recursive: true });
  rump.mount('ffs', FFS, { image: path.join(import.meta.dirname, 'fixtures', 'demo.img'), readonly: true });
});

after(() => {
  rump.unmount(FFS);
});

/// Everything the manifest says about every node, checked against the mounted image.
function checkAgainstManifest() {
  for (const [p, want] of Object.entries(entries)) {
    const st = fs.lstatSync(at(p));
    assert.strictEqual(st.mode & S_IFMT, TYPE_BITS[want.type], `${p}: type`);
    assert.strictEqual(st.mode & 0o7777, want.mode, `${p}: mode ${(st.mode & 0o7777).toString(8)}`);
    assert.strictEqual(st.uid, want.uid, `${p}: uid`);
    assert.strictEqual(st.gid, want.gid, `${p}: gid`);
    assert.strictEqual(st.mtimeMs, want.mtime * 1000, `${p}: mtime`);
    if (want.size !== undefined) assert.strictEqual(st.size, want.size, `${p}: size`);
    if (want.nlink !== undefined) assert.strictEqual(st.nlink, want.nlink, `${p}: nlink`);
    if (want.type === 'file') {
      const digest = crypto.createHash('sha256').update(fs.readFileSync(at(p))).digest('hex');
      assert.strictEqual(digest, want.sha256, `${p}: sha256`);
    }
    if (want.type === 'link') assert.strictEqual(fs.readlinkSync(at(p)), want.target, `${p}: target`);
    if (want.rdev) assert.strictEqual(st.rdev, makedev(want.rdev[0], want.rdev[1]), `${p}: rdev`);
  }
}

describe('the image at /ffs', () => {
  test('is mounted read-only from the image, as the demo did', () => {
    const m = rump.mounts().filter((x) => x.on === FFS).at(-1);
    assert.strictEqual(m.type, 'ffs');
    assert.strictEqual(m.readonly, true);
    assert.match(m.from, /^\/dev\/ffs\d+$/);
    const sf = fs.statfsSync(FFS);
    assert.strictEqual(sf.fstypename, 'ffs');
    assert.strictEqual(sf.mntonname, FFS);
    assert.strictEqual(sf.mntfromname, m.from);
    assert.ok(sf.flag & MNT_RDONLY);
    assert.strictEqual(sf.namemax, 255);
  });

  test('lists as the manifest says', () => {
    const want = Object.keys(entries).filter((p) => p !== '/').map((p) => p.slice(1)).sort();
    assert.deepStrictEqual(fs.readdirSync(FFS, { recursive: true }).sort(), want);
    const top = want.filter((p) => !p.includes('/'));
    assert.deepStrictEqual(fs.readdirSync(FFS).sort(), top);
    // Types from the directory entries (UFS1 with d_type) agree with lstat.
    for (const d of fs.readdirSync(`${FFS}/data`, { withFileTypes: true })) {
      const kind = entries[`/data/${d.name}`].type;
      assert.strictEqual(d.isFIFO(), kind === 'fifo', d.name);
      assert.strictEqual(d.isFile(), kind === 'file', d.name);
    }
    // getdents through rump.sys: "." and ".." first, inode numbers as lstat gives them.
    const fd = sys.open(FFS, O_RDONLY | rump.O_DIRECTORY);
    try {
      const ents = sys.readdir(fd);
      assert.deepStrictEqual(ents.slice(0, 2).map((x) => x.name), ['.', '..']);
      for (const x of ents.slice(2)) assert.strictEqual(x.ino, fs.lstatSync(`${FFS}/${x.name}`).ino, x.name);
      assert.strictEqual(ents[0].ino, 2, 'the root directory is inode 2');
    } finally {
      sys.close(fd);
    }
  });

  test('every node has the manifest type, mode, owner, time, size, hash, target', () => {
    checkAgainstManifest();
  });

  test('files read the same through fs, fs.promises, rump.sys and the demo commands', async () => {
    const p = `${FFS}/data/primes.txt`;
    const want = entries['/data/primes.txt'];
    const whole = fs.readFileSync(p);
    assert.strictEqual(whole.length, want.size);
    // In 1000-byte pieces with read(2), and at offsets with pread(2).
    const fd = sys.open(p, O_RDONLY);
    const parts = [];
    try {
      const buf = new Uint8Array(1000);
      for (let n; (n = sys.read(fd, buf)) > 0; ) parts.push(Buffer.from(buf.subarray(0, n)));
      const tail = new Uint8Array(10);
      assert.strictEqual(sys.pread(fd, tail, want.size - 10), 10);
      assert.ok(Buffer.from(tail).equals(whole.subarray(want.size - 10)));
      assert.strictEqual(sys.pread(fd, tail, want.size), 0, 'end of file');
    } finally {
      sys.close(fd);
    }
    assert.ok(Buffer.concat(parts).equals(whole));
    assert.ok((await fs.promises.readFile(p)).equals(whole));
    // Through the symbolic link at the top and the hard link beside it.
    assert.ok(fs.readFileSync(`${FFS}/primes`).equals(whole));
    assert.ok(fs.readFileSync(`${FFS}/data/primes.hardlink`).equals(whole));
    assert.strictEqual(fs.statSync(`${FFS}/primes`).ino, fs.lstatSync(`${FFS}/data/primes.hardlink`).ino);
    assert.strictEqual(fs.realpathSync(`${FFS}/primes`), p);
    // The shell-like commands the demo page answered (the REPL's and the web page's).
    const ls = sh(`ls ${FFS}`);
    assert.strictEqual(ls.status, 0, ls.err);
    for (const name of fs.readdirSync(FFS)) assert.ok(ls.out.includes(name), `ls shows ${name}`);
    const cat = sh(`cat ${FFS}/README`);
    assert.strictEqual(cat.status, 0, cat.err);
    assert.strictEqual(cat.out, fs.readFileSync(`${FFS}/README`, 'utf8'));
    const sum = sh(`sha256 ${FFS}/README`);
    assert.ok(sum.out.includes(entries['/README'].sha256), sum.out);
  });

  test('device nodes and the fifo made by the spec', () => {
    const nul = fs.lstatSync(`${FFS}/dev/null`);
    assert.ok(nul.isCharacterDevice());
    assert.strictEqual(nul.rdev, makedev(2, 2));
    const wd = fs.lstatSync(`${FFS}/dev/wd0a`);
    assert.ok(wd.isBlockDevice());
    assert.strictEqual(wd.gid, 5);
    assert.ok(fs.lstatSync(`${FFS}/data/fifo`).isFIFO());
    // The sticky /tmp of the spec.
    assert.strictEqual(fs.statSync(`${FFS}/tmp`).mode & 0o7777, 0o1777);
  });
});

describe('EROFS on every kind of write', () => {
  const f = `${FFS}/README`;
  const d = `${FFS}/tmp`; // an empty directory
  const writes = {
    'create (open O_CREAT)': () => sys.open(`${FFS}/new`, O_CREAT | O_RDWR, 0o644),
    'create (writeFileSync)': () => fs.writeFileSync(`${FFS}/new`, 'x'),
    'write (open O_WRONLY)': () => sys.open(f, O_WRONLY),
    'write (open O_RDWR)': () => sys.open(f, O_RDWR),
    'write (open O_TRUNC)': () => sys.open(f, O_RDONLY | O_TRUNC),
    'write (appendFileSync)': () => fs.appendFileSync(f, 'x'),
    'mkdir': () => sys.mkdir(`${FFS}/newdir`, 0o755),
    'mkdir -p': () => fs.mkdirSync(`${FFS}/a/b/c`, { recursive: true }),
    'rmdir': () => sys.rmdir(d),
    'unlink': () => sys.unlink(f),
    'unlink a symbolic link': () => sys.unlink(`${FFS}/primes`),
    'rm -r': () => fs.rmSync(`${FFS}/home`, { recursive: true }),
    'rename': () => sys.rename(f, `${FFS}/README.old`),
    'rename a directory': () => sys.rename(`${FFS}/etc`, `${FFS}/etc.old`),
    'link': () => sys.link(f, `${FFS}/README.link`),
    'symlink': () => sys.symlink('README', `${FFS}/README.sym`),
    'chmod': () => sys.chmod(f, 0o600),
    'lchmod': () => sys.lchmod(`${FFS}/primes`, 0o600),
    'chown': () => sys.chown(f, 1, 1),
    'lchown': () => sys.lchown(`${FFS}/primes`, 1, 1),
    'chflags': () => sys.chflags(f, rump.UF_NODUMP),
    'utimes': () => sys.utimes(f, [1, 2]),
    'utimes (now)': () => sys.utimes(f, null),
    'lutimes': () => sys.lutimes(`${FFS}/primes`, [1, 2]),
    'utimensat': () => sys.utimensat(rump.AT_FDCWD, f, ['now', 'omit']),
    'truncate': () => sys.truncate(f, 0),
    'mknod (device)': () => sys.mknod(`${FFS}/dev/zero`, S_IFCHR | 0o666, makedev(2, 12)),
    'mknod (regular)': () => sys.mknod(`${FFS}/reg`, S_IFREG | 0o644, 0),
    'mknod (fifo)': () => sys.mknod(`${FFS}/fifo2`, S_IFIFO | 0o644, 0),
    'mkfifo': () => sys.mkfifo(`${FFS}/fifo3`, 0o600),
    'copyFile': () => fs.copyFileSync(f, `${FFS}/README.copy`),
    'mkdtemp': () => fs.mkdtempSync(`${FFS}/tmp-`),
    'access W_OK': () => sys.access(f, rump.W_OK),
  };
  for (const [what, fn] of Object.entries(writes)) {
    test(what, () => expectErrno(fn, 'EROFS'));
  }

  test('through descriptors open for reading', () => {
    const fd = sys.open(f, O_RDONLY);
    try {
      expectErrno(() => sys.fchmod(fd, 0o600), 'EROFS');
      expectErrno(() => sys.fchown(fd, 1, 1), 'EROFS');
      expectErrno(() => sys.futimes(fd, [1, 2]), 'EROFS');
      expectErrno(() => sys.fchflags(fd, rump.UF_NODUMP), 'EROFS');
      // Not open for writing: the descriptor answers first.
      expectErrno(() => sys.write(fd, Buffer.from('x')), 'EBADF');
      expectErrno(() => sys.ftruncate(fd, 0), 'EINVAL');
    } finally {
      sys.close(fd);
    }
  });

  test('through fs.promises and the demo commands', async () => {
    await expectErrnoAsync(() => fs.promises.writeFile(`${FFS}/new`, 'x'), 'EROFS');
    await expectErrnoAsync(() => fs.promises.rename(f, `${FFS}/x`), 'EROFS');
    for (const line of [`mkdir ${FFS}/x`, `touch ${FFS}/README`, `rm ${FFS}/README`, `chmod 600 ${FFS}/README`]) {
      const r = sh(line);
      assert.strictEqual(r.status, 1, line);
      assert.match(r.err, /Read-only file system/, line);
    }
  });

  test('and none of them changed anything', () => {
    checkAgainstManifest();
    assert.deepStrictEqual(
      fs.readdirSync(FFS, { recursive: true }).sort(),
      Object.keys(entries).filter((p) => p !== '/').map((p) => p.slice(1)).sort(),
    );
  });
});

describe('kernfs at /kern', () => {
  test('answers as NetBSD does', () => {
    assert.strictEqual(fs.readFileSync('/kern/ostype', 'utf8'), 'NetBSD\n');
    const u = sys.uname();
    assert.strictEqual(u.sysname, 'NetBSD');
    assert.strictEqual(fs.readFileSync('/kern/osrelease', 'utf8'), `${u.release}\n`);
    assert.strictEqual(fs.readFileSync('/kern/version', 'utf8'), `${u.version}\n`);
    assert.strictEqual(fs.readFileSync('/kern/hostname', 'utf8'), `${u.nodename}\n`);
    assert.strictEqual(sys.sysctl('kern.ostype'), 'NetBSD');
    assert.strictEqual(fs.readFileSync('/kern/pagesize', 'utf8'), '4096\n');
    assert.match(fs.readFileSync('/kern/copyright', 'utf8'), /The NetBSD Foundation/);
    // time: "seconds microseconds", the kernel's now (what it stamps a new file with; under --deterministic
    // that is 2012, not the host's Date.now()); boottime before it.
    const [sec, usec] = fs.readFileSync('/kern/time', 'utf8').trim().split(' ').map(Number);
    fs.writeFileSync('/tmp/now', '');
    const stamped = fs.statSync('/tmp/now').mtimeMs / 1000;
    assert.ok(Math.abs(sec - stamped) < 60, `kern/time ${sec}, a new file's mtime ${stamped}`);
    assert.ok(usec >= 0 && usec < 1e6);
    assert.ok(Number(fs.readFileSync('/kern/boottime', 'utf8')) <= sec);
    assert.strictEqual(fs.statfsSync('/kern').fstypename, 'kernfs');
  });

  test('hostname is writable by root and seen by uname and sysctl', () => {
    const old = sys.uname().nodename;
    try {
      fs.writeFileSync('/kern/hostname', 'demo2012\n');
      assert.strictEqual(fs.readFileSync('/kern/hostname', 'utf8'), 'demo2012\n');
      assert.strictEqual(sys.uname().nodename, 'demo2012');
      assert.strictEqual(sys.sysctl('kern.hostname'), 'demo2012');
      // And the other way round: sysctl sets what kernfs shows.
      sys.sysctl('kern.hostname', 'viasysctl');
      assert.strictEqual(fs.readFileSync('/kern/hostname', 'utf8'), 'viasysctl\n');
      // Not by others (mode 0644), and the read-only nodes take nothing (kernfs_xwrite: EIO).
      assert.strictEqual(fs.statSync('/kern/hostname').mode & 0o777, 0o644);
      rump.setCredentials({ uid: 1000, gid: 100 });
      try {
        expectErrno(() => fs.writeFileSync('/kern/hostname', 'intruder\n'), 'EACCES');
      } finally {
        rump.setCredentials({ uid: 0, gid: 0 });
      }
      expectErrno(() => fs.writeFileSync('/kern/ostype', 'Linux\n'), 'EIO');
      assert.strictEqual(fs.readFileSync('/kern/ostype', 'utf8'), 'NetBSD\n');
    } finally {
      fs.writeFileSync('/kern/hostname', `${old}\n`);
    }
    assert.strictEqual(sys.uname().nodename, old);
  });

  test('msgbuf tells the boot and the mount of /ffs', () => {
    const msgbuf = fs.readFileSync('/kern/msgbuf', 'utf8');
    assert.match(msgbuf, /NetBSD/);
    assert.match(msgbuf, /mounted ffs \/dev\/ffs\d+ on \/ffs \(read-only\)/);
    assert.match(msgbuf, /UFS1 little-endian/);
    assert.ok(msgbuf.includes('demo.img'), 'the image registered as a device');
    // rump.dmesg() is the same buffer.
    assert.ok(rump.dmesg().includes(msgbuf.trim().split('\n')[0]));
  });
});

describe("rump.info('/ffs')", () => {
  test('tells the superblock facts of the image makefs made', () => {
    const info = rump.info(FFS);
    assert.strictEqual(info.type, 'ffs');
    assert.strictEqual(info.on, FFS);
    const f = info.fields;
    assert.strictEqual(f.type, 'UFS1 (FFSv1), little-endian');
    assert.match(f['block size'], /^8192 bytes, fragment size 1024/);
    assert.match(f.size, /^256 fragments \(262144 bytes\)/);
    assert.match(f.device, /demo\.img \(ro\) \(262144 bytes\)/);
    assert.strictEqual(f['partition table'], 'none');
    assert.strictEqual(f.mounted, 'read-only');
    assert.match(f.clean, /^yes/);
    assert.strictEqual(f['last written'], `Jun  1 00:00 2012 UTC (${T0})`);
    assert.match(f.formats, /fs_maxsymlinklen 60/);
    assert.strictEqual(f['journal (WAPBL)'], 'none');
    const dirs = Object.values(entries).filter((e) => e.type === 'dir').length;
    assert.strictEqual(f.directories, String(dirs));
    // Inodes in use: the free count says how many nodes the image holds (one per hard-linked file,
    // plus inodes 0 and 1, which are never free).
    const inodes = new Set(Object.keys(entries).map((p) => fs.lstatSync(at(p)).ino)).size;
    const m = f.free.match(/(\d+) of (\d+) inodes/);
    assert.strictEqual(Number(m[2]) - Number(m[1]), inodes + 2, f.free);
    assert.ok(info.text.startsWith(`${rump.mounts().find((x) => x.on === FFS).from} on /ffs (ffs)`), info.text);
  });
});
