// NetBSD tests/fs/vfs/t_io.c in JavaScript, with t_full.c, t_mtime_otrunc.c and t_mtime_write.c: file I/O
// on a fresh tmpfs and fresh overlays of UFS1 and UFS2 images.

import assert from 'assert';
import { fsapply, expectErrno, sys, O_RDWR, O_WRONLY, O_CREAT, O_TRUNC, O_APPEND } from './harness.js';

const PAGE = 4096;

fsapply('t_io:holywrite', (e) => {
  e.enter();
  const fd = sys.open('file', O_RDWR | O_CREAT | O_TRUNC, 0o666);
  sys.pwrite(fd, Buffer.alloc(1024, 'A'), PAGE, 1);
  sys.pwrite(fd, Buffer.alloc(1024, 'B'), PAGE - 1, 2);
  const therange = PAGE + 1;
  const b2 = new Uint8Array(2 * PAGE).fill(0xff);
  assert.strictEqual(sys.pread(fd, b2, 0, therange), therange);
  const b3 = new Uint8Array(therange);
  b3[PAGE - 1] = 0x42;
  b3[PAGE] = 0x42;
  assert.ok(Buffer.from(b2.subarray(0, therange)).equals(b3), 'the hole reads as zeros around "BB"');
  assert.strictEqual(sys.fstat(fd).size, PAGE + 1);
  sys.close(fd);
  e.exit();
});

// TESTSTR with its NUL, as sizeof gives it.
const TESTSTR = Buffer.from("this is a string.  collect enough and you'll have Em\0");

function extendbody(e, seekcnt) {
  e.enter();
  const fd = sys.open('testfile', O_CREAT | O_RDWR | (seekcnt ? O_APPEND : 0), 0o666);
  sys.ftruncate(fd, seekcnt);
  assert.strictEqual(sys.fstat(fd).size, seekcnt);
  assert.strictEqual(sys.write(fd, TESTSTR), TESTSTR.length);
  const buf = new Uint8Array(TESTSTR.length);
  assert.strictEqual(sys.pread(fd, buf, seekcnt), TESTSTR.length);
  assert.ok(Buffer.from(buf).equals(TESTSTR));
  assert.strictEqual(sys.fstat(fd).size, TESTSTR.length + seekcnt);
  sys.close(fd);
  e.exit();
}

fsapply('t_io:extendfile', (e) => extendbody(e, 0));
// PR kern/44307: an O_APPEND descriptor extends from the truncated size.
fsapply('t_io:extendfile_append', (e) => extendbody(e, 37));

function overwritebody(e, count, dotrunc) {
  const buf = new Uint8Array(count);
  for (let i = 0; i < count; i++) buf[i] = (i * 7) & 0xff;
  e.enter();
  let fd = sys.open('testi', O_CREAT | O_RDWR, 0o666);
  assert.strictEqual(sys.write(fd, buf), count);
  sys.close(fd);
  fd = sys.open('testi', O_RDWR);
  if (dotrunc) sys.ftruncate(fd, 0);
  assert.strictEqual(sys.write(fd, buf), count);
  sys.close(fd);
  assert.ok(fs.readFileSync('testi').equals(buf));
  e.exit();
}

fsapply('t_io:overwrite512', (e) => overwritebody(e, 512, false));
fsapply('t_io:overwrite64k', (e) => overwritebody(e, 1 << 16, false));
fsapply('t_io:overwrite_trunc', (e) => overwritebody(e, 1 << 16, true));

fsapply('t_io:shrinkfile', (e) => {
  e.enter();
  const fd = sys.open('file', O_RDWR | O_CREAT | O_TRUNC, 0o666);
  sys.ftruncate(fd, 2);
  sys.ftruncate(fd, 1);
  assert.strictEqual(sys.fstat(fd).size, 1);
  // Shrinking zeroes what lay past the new end: growing again shows zeros, not the old bytes.
  sys.pwrite(fd, Buffer.alloc(5000, 7), 0);
  sys.ftruncate(fd, 10);
  sys.ftruncate(fd, 5000);
  const buf = new Uint8Array(5000).fill(1);
  assert.strictEqual(sys.pread(fd, buf, 0), 5000);
  assert.ok(buf.subarray(0, 10).every((b) => b === 7));
  assert.ok(buf.subarray(10).every((b) => b === 0));
  sys.close(fd);
  e.exit();
});

fsapply('t_io:read_after_unlink', (e) => {
  const TBSIZE = 9000;
  e.enter();
  let fd = sys.open('file', O_RDWR | O_CREAT, 0o666);
  const buf = Buffer.alloc(TBSIZE, 'D');
  assert.strictEqual(sys.write(fd, buf), TBSIZE);
  sys.close(fd);
  // "flush buffers from UBC to file system": our cwd is inside, so the unmount is refused.
  expectErrno(() => sys.unmount(e.mp, 0), 'EBUSY');
  fd = sys.open('file', O_RDWR);
  sys.unlink('file');
  const buf2 = new Uint8Array(TBSIZE);
  assert.strictEqual(sys.read(fd, buf2), TBSIZE);
  assert.ok(buf.equals(buf2));
  assert.strictEqual(sys.fstat(fd).nlink, 0);
  sys.close(fd);
  e.exit();
});

fsapply('t_io:wrrd_after_unlink', (e) => {
  e.enter();
  const value = new Uint8Array(new Int32Array([0x11]).buffer);
  const fd = sys.open('file', O_RDWR | O_CREAT, 0o666);
  sys.unlink('file');
  sys.pwrite(fd, value, 654321);
  sys.fsync(fd);
  const v2 = new Uint8Array(4);
  sys.pread(fd, v2, 654321);
  sys.close(fd);
  assert.deepStrictEqual(Array.from(v2), Array.from(value));
  e.exit();
});

// ---------------------------------------------------------------------------------------- t_full.c

fsapply(
  't_full:fillfs',
  (e) => {
    e.enter();
    const fd = sys.open('afile', O_CREAT | O_RDWR, 0o666);
    let written = 0;
    let err = null;
    const limit = fs.statfsSync('.').blocks * fs.statfsSync('.').bsize + (1 << 16);
    for (let i = 0; ; i++) {
      try {
        written += sys.write(fd, new Uint8Array(8192).fill(i & 0xff));
      } catch (x) {
        err = x;
        break;
      }
      assert.ok(written < limit, 'filled the file system over its size');
    }
    assert.strictEqual(err.code, 'ENOSPC');
    assert.strictEqual(err.errno, 28);
    // A full file system still reads, and frees the space when the file goes.
    assert.strictEqual(sys.fstat(fd).size, written);
    sys.close(fd);
    assert.strictEqual(fs.statfsSync('.').bavail, 0);
    sys.unlink('afile');
    assert.ok(fs.statfsSync('.').bavail > 0);
    fs.writeFileSync('small', 'fits again');
    sys.unlink('small');
    e.exit();
  },
  // t_full.c's FSTEST_IMGSIZE is small; tmpfs gets a size limit (size=) to fill.
  { tmpfsOptions: { size: '1m' } },
);

// --------------------------------------------------------------- t_mtime_otrunc.c, t_mtime_write.c

fsapply('t_mtime_otrunc:otrunc_mtime_update', (e) => {
  e.enter();
  let last = null;
  for (let i = 0; i < 5; i++) {
    sys.close(sys.open('lock', O_WRONLY | O_CREAT | O_TRUNC, 0o666));
    const m = sys.stat('lock').mtimeMs;
    if (last !== null) assert.ok(m > last, `open(O_TRUNC) of an empty file did not move mtime (${m} <= ${last})`);
    last = m;
  }
  e.exit();
});

fsapply('t_mtime_write:mtime_update_on_write', (e) => {
  e.enter();
  let last = null;
  for (let i = 0; i < 5; i++) {
    const fd = sys.open('lock', O_WRONLY | O_CREAT, 0o666);
    sys.write(fd, Buffer.from('0123456789'));
    sys.close(fd);
    const m = sys.stat('lock').mtimeMs;
    if (last !== null) assert.ok(m > last, `write did not move mtime (${m} <= ${last})`);
    last = m;
  }
  e.exit();
});
