// NetBSD tests/fs/vfs/t_vfsops.c in JavaScript (and t_rwtoro.c's remounts, which are VFS operations too):
// on a fresh tmpfs and fresh overlays of UFS1 and UFS2 images.

import { describe, test } from 'rumpjs:test';
import assert from 'assert';
import {
  fsapply, expectErrno, sys, touch, writeFile, fixture, RW_FILESYSTEMS,
  O_RDONLY, O_RDWR, O_CREAT, MNT_RDONLY, MNT_UPDATE,
} from './harness.js';

fsapply('t_vfsops:tmount', (e) => {
  // The harness mounted it; it is listed with its type, and a second mount on the same directory
  // stacks (NetBSD allows it) and comes off again.
  const m = rump.mounts().filter((x) => x.on === e.mp);
  assert.strictEqual(m.length, 1);
  assert.strictEqual(m[0].type, e.fstype);
  assert.strictEqual(m[0].readonly, false);
  // A busy file system (a cwd inside) cannot be unmounted.
  e.enter();
  expectErrno(() => sys.unmount(e.mp, 0), 'EBUSY');
  e.exit();
  // Mount points must be directories that exist.
  touch(e.path('file'));
  expectErrno(() => rump.mount('tmpfs', e.path('file')), 'ENOTDIR');
  expectErrno(() => rump.mount('tmpfs', e.path('nowhere')), 'ENOENT');
  expectErrno(() => rump.unmount(e.path('file')), 'EINVAL');
  sys.unlink(e.path('file'));
});

fsapply('t_vfsops:tstatvfs', (e) => {
  const svb = sys.statvfs(e.mp);
  assert.ok(svb.namemax > 0 && svb.namemax <= 511, `f_namemax ${svb.namemax}`);
  assert.strictEqual(svb.fstypename, e.fstype);
  assert.strictEqual(svb.mntonname, e.mp);
  assert.ok(svb.bsize > 0 && svb.frsize > 0);
  assert.ok(svb.bfree <= svb.blocks && svb.bavail <= svb.bfree);
  assert.ok(svb.ffree <= svb.files);
  assert.strictEqual(svb.flag & MNT_RDONLY, 0);
  // The same through a descriptor, fs.statfsSync and getvfsstat; a file inside reports its mount.
  const fd = sys.open(e.mp, O_RDONLY);
  try {
    assert.deepStrictEqual(sys.fstatvfs(fd), svb);
  } finally {
    sys.close(fd);
  }
  const sf = fs.statfsSync(e.mp);
  assert.strictEqual(sf.fstypename, e.fstype);
  assert.strictEqual(sf.bsize, svb.bsize);
  const all = sys.getvfsstat();
  assert.strictEqual(all.filter((m) => m.mntonname === e.mp).length, 1);
  assert.strictEqual(all[0].mntonname, '/');
  writeFile(e.path('f'), 'x');
  assert.strictEqual(sys.statvfs(e.path('f')).fsid, svb.fsid);
  assert.strictEqual(sys.stat(e.path('f')).dev, svb.fsid);
  sys.unlink(e.path('f'));
});

fsapply('t_vfsops:tsync', (e) => {
  writeFile(e.path('f'), 'data');
  sys.sync();
  const fd = sys.open(e.path('f'), O_RDWR);
  sys.fsync(fd);
  sys.close(fd);
  const fd2 = fs.openSync(e.path('f'), 'r+');
  fs.fsyncSync(fd2);
  fs.fdatasyncSync(fd2);
  fs.closeSync(fd2);
  sys.unlink(e.path('f'));
});

// File handles (getfh/fhopen) are not in this kernel nor in rump.sys: NetBSD skips these cases on file
// systems without them (EOPNOTSUPP), and so do we.
for (const name of ['tfilehandle', 'tfhremove', 'tfhinval']) {
  test(`t_vfsops:${name}`, { skip: 'getfh/fhopen: not in this kernel (NetBSD skips on EOPNOTSUPP)' }, () => {});
}

// ------------------------------------------------------------------- t_rwtoro.c: read-write to read-only

function remountRO(e) {
  sys.mount(e.fstype, e.mp, MNT_UPDATE | MNT_RDONLY);
}

function remountRW(e) {
  sys.mount(e.fstype, e.mp, MNT_UPDATE);
}

fsapply('t_rwtoro:noneopen', (e) => {
  remountRO(e);
  assert.ok(sys.statvfs(e.mp).flag & MNT_RDONLY);
  expectErrno(() => sys.mkdir(e.path('d'), 0o777), 'EROFS');
  remountRW(e);
  sys.mkdir(e.path('d'), 0o777);
  sys.rmdir(e.path('d'));
});

fsapply('t_rwtoro:readopen', (e) => {
  touch(e.path('file'), 0o777);
  const fd = sys.open(e.path('file'), O_RDONLY);
  remountRO(e);
  sys.close(fd);
  remountRW(e);
});

fsapply('t_rwtoro:writeopen', (e) => {
  const fd = sys.open(e.path('file'), O_CREAT | O_RDWR, 0o777);
  // A file open for writing keeps the file system read-write.
  expectErrno(() => remountRO(e), 'EBUSY');
  sys.write(fd, Buffer.from('still writable'));
  sys.close(fd);
  remountRO(e);
  remountRW(e);
});

fsapply('t_rwtoro:read_unlinked', (e) => {
  touch(e.path('file'), 0o777);
  const fd = sys.open(e.path('file'), O_RDONLY);
  sys.unlink(e.path('file'));
  // Freeing the file at its last close is a write.
  expectErrno(() => remountRO(e), 'EBUSY');
  sys.close(fd);
  remountRO(e);
  remountRW(e);
});

// --------------------------------------------- overlay(): what the FFS cases stand on, checked once

describe('overlay()', () => {
  for (const fsys of RW_FILESYSTEMS.filter((f) => f.image)) {
    test(`writes stay in the overlay: ${fsys.name}`, async (t) => {
      const a = t.overlay(fixture(fsys.image));
      fs.writeFileSync(`${a}/new`, 'only in this overlay');
      fs.mkdirSync(`${a}/dir`);
      // A second overlay of the same image, and the image itself read-only, do not see it.
      const b = t.overlay(fixture(fsys.image));
      assert.notStrictEqual(a, b);
      assert.deepStrictEqual(fs.readdirSync(b), []);
      fs.mkdirSync('/mnt/ro-view', { recursive: true });
      rump.mount('ffs', '/mnt/ro-view', { image: fixture(fsys.image), readonly: true });
      try {
        assert.deepStrictEqual(fs.readdirSync('/mnt/ro-view'), []);
        assert.strictEqual(fs.statfsSync('/mnt/ro-view').ffree, fs.statfsSync(b).ffree);
      } finally {
        rump.unmount('/mnt/ro-view');
      }
      assert.strictEqual(fs.readFileSync(`${a}/new`, 'utf8'), 'only in this overlay');
      // (That the image cannot be mounted read-write in place — the test's directory is granted read-only —
      // is checked on a scratch copy by runtime/tests/test_runner.rs, where a regression writes no
      // committed file.)
    });
  }
});
