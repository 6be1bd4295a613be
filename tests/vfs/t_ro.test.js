// NetBSD tests/fs/vfs/t_ro.c in JavaScript: every kind of write to a read-only file system is refused with
// EROFS (errno 30), reads still work. Each case runs on
// - a fresh tmpfs and fresh overlays of the UFS1/UFS2 images, populated by the case's generator (t_ro.c's
//   nullgen or filegen) and then updated to read-only (MNT_UPDATE | MNT_RDONLY), as ATF_TC_FSAPPLY_RO does;
// - the read-only FFS fixtures t_ro-ufs1-be.img and t_ro-ufs2-le.img (what filegen makes, by makefs),
//   mounted read-only.
// A fixture always holds filegen's files, so the cases create names that are not there ("newfile") and
// check t_ro.c's own names (which exist only after filegen) for what NetBSD answers when they exist.

import assert from 'assert';
import {
  fsapplyRO, expectErrno, expectErrnoAsync, sys, touch,
  O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, S_IFCHR, S_IFIFO, S_IFREG,
  R_OK, W_OK, AT_FDCWD, AT_REMOVEDIR, MNT_RDONLY,
} from './harness.js';

const AFILE = 'testfile';
const ADIR = 'testdir';
const AFIFO = 'testfifo';
const ASYMLINK = 'testsymlink';
const ALINK = 'testlink';
const FUNTEXT = 'this is some non-humppa text';

function nullgen() {}

function filegen(e) {
  e.enter();
  const fd = sys.open(AFILE, O_CREAT | O_RDWR, 0o777);
  assert.strictEqual(sys.write(fd, Buffer.from(FUNTEXT)), FUNTEXT.length);
  sys.close(fd);
  sys.mkdir(ADIR, 0o777);
  sys.symlink(AFILE, ASYMLINK);
  e.exit();
}

const exists = (p) => fs.existsSync(p) || fs.lstatSync(p, { throwIfNoEntry: false }) !== undefined;

fsapplyRO('t_ro:create', nullgen, (e) => {
  e.enter();
  assert.ok(sys.statvfs('.').flag & MNT_RDONLY);
  for (const name of exists(AFILE) ? ['newfile'] : [AFILE, 'newfile']) {
    expectErrno(() => sys.open(name, O_CREAT | O_RDONLY, 0o600), 'EROFS');
    expectErrno(() => sys.open(name, O_CREAT | O_RDWR | O_EXCL, 0o600), 'EROFS');
    expectErrno(() => fs.writeFileSync(name, 'x'), 'EROFS');
    expectErrno(() => fs.openSync(name, 'w'), 'EROFS');
    assert.ok(!exists(name));
  }
  expectErrno(() => fs.mkdtempSync('tmp-'), 'EROFS');
  e.exit();
});

fsapplyRO('t_ro:rmfile', filegen, (e) => {
  e.enter();
  expectErrno(() => sys.unlink(AFILE), 'EROFS');
  expectErrno(() => fs.unlinkSync(AFILE), 'EROFS');
  expectErrno(() => fs.rmSync(AFILE), 'EROFS');
  expectErrno(() => sys.unlink(ASYMLINK), 'EROFS');
  expectErrno(() => sys.unlinkat(AT_FDCWD, AFILE, 0), 'EROFS');
  // A name that is not there is ENOENT first.
  expectErrno(() => sys.unlink('nothere'), 'ENOENT');
  assert.strictEqual(fs.readFileSync(AFILE, 'utf8'), FUNTEXT);
  e.exit();
});

fsapplyRO('t_ro:fileio', filegen, (e) => {
  e.enter();
  const fd = sys.open(AFILE, O_RDONLY);
  const buf = new Uint8Array(64);
  assert.strictEqual(sys.read(fd, buf, FUNTEXT.length), FUNTEXT.length);
  assert.strictEqual(Buffer.from(buf.subarray(0, FUNTEXT.length)).toString(), FUNTEXT);
  sys.close(fd);
  assert.strictEqual(fs.readFileSync(ASYMLINK, 'utf8'), FUNTEXT);

  expectErrno(() => sys.open(AFILE, O_WRONLY), 'EROFS');
  expectErrno(() => sys.open(AFILE, O_RDWR), 'EROFS');
  expectErrno(() => sys.open(AFILE, O_RDONLY | O_TRUNC), 'EROFS');
  expectErrno(() => sys.open(AFILE, O_WRONLY | O_APPEND), 'EROFS');
  expectErrno(() => sys.truncate(AFILE, 0), 'EROFS');
  expectErrno(() => fs.truncateSync(AFILE, 3), 'EROFS');
  expectErrno(() => fs.writeFileSync(AFILE, 'x'), 'EROFS');
  expectErrno(() => fs.appendFileSync(AFILE, 'x'), 'EROFS');
  expectErrno(() => fs.openSync(AFILE, 'r+'), 'EROFS');
  expectErrno(() => fs.copyFileSync(AFILE, 'copy'), 'EROFS');
  expectErrno(() => sys.access(AFILE, W_OK), 'EROFS');
  sys.access(AFILE, R_OK);
  // Not open for writing: the descriptor is checked before the file system (EBADF, EINVAL).
  const ro = sys.open(AFILE, O_RDONLY);
  try {
    expectErrno(() => sys.write(ro, Buffer.from('x')), 'EBADF');
    expectErrno(() => sys.pwrite(ro, Buffer.from('x'), 0), 'EBADF');
    expectErrno(() => sys.ftruncate(ro, 0), 'EINVAL');
  } finally {
    sys.close(ro);
  }
  assert.strictEqual(fs.readFileSync(AFILE, 'utf8'), FUNTEXT);
  e.exit();
});

fsapplyRO('t_ro:attrs', filegen, (e) => {
  e.enter();
  const sb = sys.stat(AFILE).toJSON();
  const tvs = [0, 0];
  expectErrno(() => sys.chmod(AFILE, 0o775), 'EROFS');
  expectErrno(() => sys.chown(AFILE, 1, 1), 'EROFS');
  expectErrno(() => sys.utimes(AFILE, tvs), 'EROFS');
  expectErrno(() => sys.utimes(AFILE, null), 'EROFS');
  expectErrno(() => sys.chflags(AFILE, rump.UF_NODUMP), 'EROFS');
  expectErrno(() => sys.lchmod(ASYMLINK, 0o700), 'EROFS');
  expectErrno(() => sys.lchown(ASYMLINK, 1, 1), 'EROFS');
  expectErrno(() => sys.lutimes(ASYMLINK, tvs), 'EROFS');
  expectErrno(() => fs.chmodSync(AFILE, 0o600), 'EROFS');
  expectErrno(() => fs.chownSync(AFILE, 2, 2), 'EROFS');
  expectErrno(() => fs.utimesSync(AFILE, 1, 2), 'EROFS');
  const fd = sys.open(AFILE, O_RDONLY);
  try {
    expectErrno(() => sys.fchmod(fd, 0o775), 'EROFS');
    expectErrno(() => sys.fchown(fd, 1, 1), 'EROFS');
    expectErrno(() => sys.futimes(fd, tvs), 'EROFS');
    expectErrno(() => sys.futimens(fd, ['now', 'now']), 'EROFS');
    expectErrno(() => sys.fchflags(fd, rump.UF_NODUMP), 'EROFS');
  } finally {
    sys.close(fd);
  }
  assert.deepStrictEqual(sys.stat(AFILE).toJSON(), sb, 'nothing changed');
  e.exit();
});

fsapplyRO('t_ro:createdir', nullgen, (e) => {
  e.enter();
  expectErrno(() => sys.mkdir('newdir', 0o775), 'EROFS');
  expectErrno(() => fs.mkdirSync('newdir/sub', { recursive: true }), 'EROFS');
  // t_ro.c's ADIR: EROFS when it is not there; an existing name is EEXIST even on a read-only mount
  // (namei answers before the file system).
  expectErrno(() => sys.mkdir(ADIR, 0o775), exists(ADIR) ? 'EEXIST' : 'EROFS');
  e.exit();
});

fsapplyRO('t_ro:createfifo', nullgen, (e) => {
  e.enter();
  expectErrno(() => sys.mkfifo(AFIFO, 0o775), 'EROFS');
  expectErrno(() => sys.mknod('newfifo', S_IFIFO | 0o600, 0), 'EROFS');
  expectErrno(() => sys.mknod('dev', S_IFCHR | 0o600, 0), 'EROFS');
  expectErrno(() => sys.mknod('reg', S_IFREG | 0o600, 0), 'EROFS');
  e.exit();
});

fsapplyRO('t_ro:createsymlink', nullgen, (e) => {
  e.enter();
  expectErrno(() => sys.symlink('hoge', 'newsymlink'), 'EROFS');
  expectErrno(() => fs.symlinkSync('hoge', 'newsymlink2'), 'EROFS');
  expectErrno(() => sys.symlink('hoge', ASYMLINK), exists(ASYMLINK) ? 'EEXIST' : 'EROFS');
  e.exit();
});

fsapplyRO('t_ro:createlink', filegen, (e) => {
  e.enter();
  expectErrno(() => sys.link(AFILE, ALINK), 'EROFS');
  expectErrno(() => fs.linkSync(AFILE, ALINK), 'EROFS');
  assert.strictEqual(sys.stat(AFILE).nlink, 1);
  e.exit();
});

// Beyond t_ro.c: the removals and renames of directories and links (kernel/tests/vfs/t_vfs.rs has them too).

fsapplyRO('t_ro:rmdir', filegen, (e) => {
  e.enter();
  expectErrno(() => sys.rmdir(ADIR), 'EROFS');
  expectErrno(() => sys.unlinkat(AT_FDCWD, ADIR, AT_REMOVEDIR), 'EROFS');
  expectErrno(() => fs.rmdirSync(ADIR), 'EROFS');
  expectErrno(() => fs.rmSync(ADIR, { recursive: true }), 'EROFS');
  assert.ok(sys.stat(ADIR).isDirectory());
  e.exit();
});

fsapplyRO('t_ro:rename', filegen, (e) => {
  e.enter();
  expectErrno(() => sys.rename(AFILE, 'renamed'), 'EROFS');
  expectErrno(() => sys.rename(ADIR, 'renamed'), 'EROFS');
  expectErrno(() => sys.rename(AFILE, ASYMLINK), 'EROFS');
  expectErrno(() => sys.rename(ASYMLINK, `${ADIR}/moved`), 'EROFS');
  expectErrno(() => fs.renameSync(AFILE, 'renamed'), 'EROFS');
  assert.deepStrictEqual(fs.readdirSync('.').sort(), [ADIR, AFILE, ASYMLINK]);
  e.exit();
});

fsapplyRO('t_ro:promises', filegen, async (e) => {
  // fs.promises and the callback API reject with the same errors.
  await expectErrnoAsync(() => fs.promises.writeFile(e.path('newfile'), 'x'), 'EROFS');
  await expectErrnoAsync(() => fs.promises.mkdir(e.path('newdir')), 'EROFS');
  await expectErrnoAsync(() => fs.promises.unlink(e.path(AFILE)), 'EROFS');
  const err = await new Promise((resolve) => fs.chmod(e.path(AFILE), 0o600, resolve));
  assert.strictEqual(err && err.code, 'EROFS');
  assert.strictEqual(err.errno, 30);
  assert.strictEqual(await fs.promises.readFile(e.path(AFILE), 'utf8'), FUNTEXT);
});

fsapplyRO('t_ro:statvfs_sync', nullgen, (e) => {
  // A read-only file system says so, and sync/fsync on it are no-ops, not errors.
  const st = sys.statvfs(e.mp);
  assert.ok(st.flag & MNT_RDONLY);
  assert.ok(fs.statfsSync(e.mp).flag & MNT_RDONLY);
  sys.sync();
  const fd = sys.open(e.mp, O_RDONLY);
  sys.fsync(fd);
  sys.close(fd);
  touchRefused(e);
});

function touchRefused(e) {
  expectErrno(() => touch(e.path('x')), 'EROFS');
}
