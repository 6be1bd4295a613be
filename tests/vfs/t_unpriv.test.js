// NetBSD tests/fs/vfs/t_unpriv.c in JavaScript (and t_link.c's hardlink cases): what an unprivileged
// user may and may not do, on a fresh tmpfs and fresh overlays of UFS1 and UFS2 images. NetBSD runs the
// unprivileged part in an rforked process after rump_sys_setuid(1); here rump.setCredentials({uid: 1})
// changes the one kernel process's credentials and the case goes back to root after (e.setuid1 / e.root).

import assert from 'assert';
import { fsapply, expectErrno, sys, touch, writeFile, O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, R_OK, W_OK, X_OK, F_OK, S_IFCHR } from './harness.js';

/// rump_sys_setuid(1): uid 1, root's group and groups kept.
function setuid1(e) {
  e.as(1, 0, [0]);
}

fsapply('t_unpriv:owner', (e) => {
  e.enter();
  setuid1(e);
  expectErrno(() => sys.chown('.', 1, -1), 'EPERM');
  expectErrno(() => sys.chmod('.', 0o000), 'EPERM');
  e.root();
  sys.chown('.', 1, -1);
  setuid1(e);
  sys.chown('.', 1, -1);
  sys.chmod('.', 0o000);
  e.root();
  e.exit();
});

fsapply('t_unpriv:dirperms', (e) => {
  e.enter();
  sys.mkdir('dir.test', 0o777);
  sys.chmod('dir.test', 0o755); // the umask may have kept group and other bits off already
  setuid1(e);
  expectErrno(() => sys.open('dir.test/file.test', O_RDWR | O_CREAT, 0o666), 'EACCES');
  e.root();
  touch('dir.test/file.test');
  setuid1(e);
  expectErrno(() => sys.unlink('dir.test/file.test'), 'EACCES');
  e.root();
  sys.unlink('dir.test/file.test');
  sys.rmdir('dir.test');
  e.exit();
});

fsapply('t_unpriv:times', (e) => {
  e.enter();
  touch('file.test');
  sys.chmod('file.test', 0o644);
  setuid1(e);
  // genfs_can_chtimes: "now" needs write access (EACCES without); given times need ownership (EPERM).
  expectErrno(() => sys.utimes('file.test', null), 'EACCES');
  expectErrno(() => sys.utimes('file.test', [1, 2]), 'EPERM');
  e.root();
  sys.utimes('file.test', null);
  // With write permission anyone may set the times to now, but not to given times.
  sys.chmod('file.test', 0o666);
  setuid1(e);
  sys.utimes('file.test', null);
  sys.utimensat(rump.AT_FDCWD, 'file.test', ['now', 'now']);
  expectErrno(() => sys.utimensat(rump.AT_FDCWD, 'file.test', ['now', 'omit']), 'EPERM');
  expectErrno(() => sys.utimes('file.test', [1, 2]), 'EPERM');
  e.root();
  sys.unlink('file.test');
  e.exit();
});

// ---------------------------------------- beyond t_unpriv.c (kernel/tests/vfs/t_vfs.rs has them in Rust)

fsapply('t_unpriv:permissions', (e) => {
  e.enter();
  sys.chmod('.', 0o777);
  const alice = [100, 100];
  const bob = [101, 100];
  const eve = [102, 102];
  const as = (who, fn) => e.asUser(who[0], who[1], fn);
  as(alice, () => writeFile('f', 'secret'));
  // The file took the directory's group (0); alice moves it to her own.
  assert.strictEqual(sys.stat('f').gid, 0);
  as(alice, () => {
    sys.chown('f', -1, 100);
    sys.chmod('f', 0o640);
  });
  as(bob, () => {
    assert.strictEqual(fs.readFileSync('f', 'utf8'), 'secret');
    expectErrno(() => sys.open('f', O_WRONLY), 'EACCES');
  });
  as(eve, () => {
    expectErrno(() => sys.open('f', O_RDONLY), 'EACCES');
    expectErrno(() => fs.readFileSync('f'), 'EACCES');
    expectErrno(() => sys.access('f', R_OK), 'EACCES');
    sys.access('f', F_OK);
  });
  // The owner's bits decide for the owner even when the group's would allow more.
  as(alice, () => {
    sys.chmod('f', 0o070);
    expectErrno(() => sys.open('f', O_RDONLY), 'EACCES');
  });
  as(bob, () => sys.close(sys.open('f', O_RDONLY)));
  as(alice, () => sys.chmod('f', 0o644));
  // Root reads and writes anything but executes only what has an execute bit.
  sys.access('f', R_OK | W_OK);
  expectErrno(() => sys.access('f', X_OK), 'EACCES');
  // Search permission on directories.
  as(alice, () => {
    sys.mkdir('d', 0o700);
    writeFile('d/g', '');
  });
  as(bob, () => {
    expectErrno(() => sys.stat('d/g'), 'EACCES');
    expectErrno(() => sys.chdir('d'), 'EACCES');
  });
  // chown: only root gives files away; an owner may change the group to one of its own groups.
  as(alice, () => {
    expectErrno(() => sys.chown('f', 101, -1), 'EPERM');
    expectErrno(() => sys.chown('f', -1, 102), 'EPERM');
  });
  rump.setCredentials({ uid: 100, gid: 100, groups: [100, 7] });
  sys.chown('f', -1, 7);
  e.root();
  assert.strictEqual(sys.stat('f').gid, 7);
  // chmod by a non-owner is EPERM; the sticky bit on a file is EFTYPE for non-root; setgid for a group
  // one is not in is EPERM.
  as(bob, () => expectErrno(() => sys.chmod('f', 0o777), 'EPERM'));
  as(alice, () => expectErrno(() => sys.chmod('f', 0o1644), 'EFTYPE'));
  sys.chown('f', -1, 102);
  as(alice, () => expectErrno(() => sys.chmod('f', 0o2644), 'EPERM'));
  // mknod of a device is root's; a fifo anyone's.
  as(eve, () => {
    expectErrno(() => sys.mknod('dev', S_IFCHR | 0o600, 0), 'EPERM');
    sys.mkfifo('fifo', 0o600);
    assert.strictEqual(sys.stat('fifo').uid, 102);
    sys.unlink('fifo');
  });
  as(alice, () => {
    sys.unlink('d/g');
    sys.rmdir('d');
  });
  sys.unlink('f');
  e.exit();
});

fsapply('t_unpriv:sticky', (e) => {
  // genfs_can_sticky: in a 01777 directory only root, the directory's owner and the file's owner
  // remove or rename a file.
  e.enter();
  sys.mkdir('tmp', 0o777);
  sys.chmod('tmp', 0o1777);
  sys.chown('tmp', 200, 200);
  const alice = [100, 100];
  const bob = [101, 101];
  const owner = [200, 200];
  const as = (who, fn) => e.asUser(who[0], who[1], fn);
  as(alice, () => {
    writeFile('tmp/a', '');
    sys.mkdir('tmp/ad', 0o777);
  });
  as(bob, () => {
    expectErrno(() => sys.unlink('tmp/a'), 'EPERM');
    expectErrno(() => sys.rename('tmp/a', 'tmp/b'), 'EPERM');
    expectErrno(() => sys.rmdir('tmp/ad'), 'EPERM');
    writeFile('tmp/b', '');
    expectErrno(() => sys.rename('tmp/b', 'tmp/a'), 'EPERM');
  });
  as(alice, () => sys.rename('tmp/a', 'tmp/a2'));
  as(owner, () => {
    sys.unlink('tmp/a2');
    sys.rmdir('tmp/ad');
  });
  as(bob, () => sys.unlink('tmp/b'));
  sys.rmdir('tmp');
  e.exit();
});

// t_link.c's hardlink cases (without its sysctl, which this kernel does not have): any user may link to
// another user's file in a directory they can write.
for (const [name, u1, u2] of [['hardlink_sameuser', 1, 1], ['hardlink_otheruser', 1, 2], ['hardlink_rootuser', 1, 0]]) {
  fsapply(`t_link:${name}`, (e) => {
    e.enter();
    sys.chmod('.', 0o777);
    e.asUser(u1, u1, () => touch('foo'));
    e.asUser(u2, u2, () => sys.link('foo', 'bar'));
    assert.strictEqual(sys.stat('bar').nlink, 2);
    assert.strictEqual(sys.stat('bar').uid, u1);
    e.exit();
  });
}
