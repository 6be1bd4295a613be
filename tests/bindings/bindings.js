// Every native binding reached at least once with valid arguments, and its result checked. Every function
// listed in rump.signatures() is wrapped to count its calls; one left uncalled fails the test (so a new
// binding needs a line here).

const sigs = rump.signatures();
const called = new Set();
for (const name of Object.keys(sigs)) {
  const parts = name.split('.');
  let obj = globalThis;
  for (let i = 0; i < parts.length - 1; i++) obj = obj[parts[i]];
  const key = parts[parts.length - 1];
  const f = obj[key];
  obj[key] = function (...args) {
    called.add(name);
    return f.apply(this, args);
  };
}

const assert = (c, msg) => {
  if (!c) throw new Error(`assertion failed: ${msg}`);
};
const show = (v) => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v));
const eq = (a, b, msg) => assert(a === b, a === b || `${msg}: ${show(a)} !== ${show(b)}`);
const throwsCode = (f, code, msg) => {
  try {
    f();
  } catch (e) {
    eq(e.code, code, msg);
    return e;
  }
  throw new Error(`${msg}: did not throw`);
};
const S = rump.sys;
const C = rump.constants;
const enc = (s) => new TextEncoder().encode(s);
const dec = (b) => new TextDecoder().decode(b);

// ---------------------------------------------------------------- rump.sys
S.mkdir('/tmp/s', 0o755);
S.mkdirat(C.AT_FDCWD, '/tmp/s/d', 0o700);
let fd = S.open('/tmp/s/f', C.O_RDWR | C.O_CREAT, 0o644);
eq(S.write(fd, enc('hello world')), 11, 'write');
eq(S.pwrite(fd, enc('HELLO'), 0), 5, 'pwrite');
eq(S.lseek(fd, 0, C.SEEK_SET), 0, 'lseek');
let b = new Uint8Array(11);
eq(S.read(fd, b), 11, 'read');
eq(dec(b), 'HELLO world', 'read data');
eq(S.pread(fd, b, 6, 5), 5, 'pread');
eq(S.fstat(fd).size, 11, 'fstat');
eq(S.stat('/tmp/s/f').mode & 0o777, 0o644, 'stat');
S.fsync(fd);
S.ftruncate(fd, 5);
eq(S.fstat(fd).size, 5, 'ftruncate');
S.fchmod(fd, 0o600);
S.fchown(fd, 1, 2);
S.fchflags(fd, C.UF_NODUMP);
S.futimes(fd, [1, 2]);
eq(S.fstat(fd).mtimeMs, 2000, 'futimes');
S.futimens(fd, ['omit', 5.5]);
eq(S.fstat(fd).mtimeMs, 5500, 'futimens');
const fd2 = S.dup(fd);
eq(S.dup2(fd, 20), 20, 'dup2');
eq(S.fcntl(fd, C.F_GETFL), C.O_RDWR, 'fcntl');
S.fcntl(fd, C.F_SETLK, { type: C.F_WRLCK, whence: C.SEEK_SET, start: 0, len: 10 });
eq(S.fcntl(fd, C.F_GETLK, { type: C.F_WRLCK, whence: C.SEEK_SET, start: 0, len: 10 }).type, C.F_UNLCK, 'F_GETLK (own lock)');
S.close(fd2);
S.close(20);
eq(S.fstatvfs(fd).fstypename, 'tmpfs', 'fstatvfs');
S.close(fd);
throwsCode(() => S.close(fd), 'EBADF', 'close twice');
const dfd = S.open('/tmp/s', C.O_RDONLY | C.O_DIRECTORY);
eq(S.fstatat(dfd, 'f', 0).size, 5, 'fstatat');
S.faccessat(dfd, 'f', C.R_OK, 0);
let fd3 = S.openat(dfd, 'g', C.O_WRONLY | C.O_CREAT, 0o666);
S.close(fd3);
S.fchmodat(dfd, 'g', 0o640, 0);
S.fchownat(dfd, 'g', 3, 4, 0);
S.utimensat(dfd, 'g', null, 0);
S.renameat(dfd, 'g', dfd, 'g2');
S.linkat(dfd, 'g2', dfd, 'g3', 0);
S.symlinkat('g2', dfd, 'l2');
eq(S.readlinkat(dfd, 'l2'), 'g2', 'readlinkat');
S.mknodat(dfd, 'fifo2', C.S_IFIFO | 0o600, 0);
S.unlinkat(dfd, 'fifo2', 0);
S.unlinkat(dfd, 'd', C.AT_REMOVEDIR);
const ents = S.readdir(dfd);
assert(ents.some((e) => e.name === 'f' && e.type === C.DT_REG), 'readdir');
S.lseek(dfd, 0, C.SEEK_SET);
assert(S.getdents(dfd, new Uint8Array(4096)) > 0, 'getdents');
S.fchdir(dfd);
eq(S.getcwd(), '/tmp/s', 'getcwd');
S.chdir('/');
S.close(dfd);
S.access('/tmp/s/f', C.F_OK);
assert(S.pathconf('/tmp/s/f', 4) >= 255, 'pathconf NAME_MAX');
S.chmod('/tmp/s/f', 0o644);
S.lchmod('/tmp/s/f', 0o644);
S.chown('/tmp/s/f', 0, 0);
S.lchown('/tmp/s/f', 0, 0);
S.chflags('/tmp/s/f', 0);
S.lchflags('/tmp/s/f', 0);
S.utimes('/tmp/s/f', [10, 20]);
S.lutimes('/tmp/s/f', null);
S.truncate('/tmp/s/f', 2);
S.link('/tmp/s/f', '/tmp/s/h');
S.symlink('f', '/tmp/s/sl');
eq(S.readlink('/tmp/s/sl'), 'f', 'readlink');
assert(S.lstat('/tmp/s/sl').mode & C.S_IFLNK, 'lstat');
eq(S.realpath('/tmp/s/sl'), '/tmp/s/f', 'realpath');
S.rename('/tmp/s/h', '/tmp/s/h2');
S.unlink('/tmp/s/h2');
S.mknod('/tmp/s/null2', C.S_IFCHR | 0o666, 2 << 8 | 2);
S.mkfifo('/tmp/s/fifo', 0o600);
S.unlink('/tmp/s/fifo');
S.mkdir('/tmp/s/e');
S.rmdir('/tmp/s/e');
S.sync();
eq(S.statvfs('/tmp').fstypename, 'tmpfs', 'statvfs');
assert(S.getvfsstat().length >= 3, 'getvfsstat');
S.mkdir('/tmp/m');
S.mount('tmpfs', '/tmp/m', 0, undefined, { size: '1m' });
S.unmount('/tmp/m', 0);
eq(S.umask(0o022), 0o022, 'umask');
eq(S.uname().sysname, 'NetBSD', 'uname');
eq(S.sysctl('kern.ostype'), 'NetBSD', 'sysctl');
assert(S.getpid() > 0, 'getpid');
eq(S.getuid(), 0, 'getuid');
eq(S.getgid(), 0, 'getgid');
assert(Array.isArray(S.getgroups()), 'getgroups');
S.mkdir('/tmp/jail');
S.chroot('/');

// ---------------------------------------------------------------- rump
rump.mount('tmpfs', '/tmp/m', { size: '2m' });
assert(rump.mounts().some((m) => m.on === '/tmp/m' && m.type === 'tmpfs'), 'mounts');
eq(rump.info('/tmp/m/').type, 'tmpfs', 'info');
assert(rump.info('/tmp/m').text.includes(' on /tmp/m (tmpfs)'), 'info text');
rump.unmount('/tmp/m');
assert(rump.dmesg().includes('NetBSD'), 'dmesg');
assert(rump.fstypes().includes('ffs'), 'fstypes');
eq(rump.getCredentials().uid, 0, 'getCredentials');

// ---------------------------------------------------------------- fs
fs.writeFileSync('/tmp/w', 'abc');
fs.appendFileSync('/tmp/w', enc('def'));
eq(fs.readFileSync('/tmp/w', 'utf8'), 'abcdef', 'readFileSync');
eq(fs.readdirSync('/tmp/s').includes('f'), true, 'readdirSync');
eq(fs.statSync('/tmp/w').size, 6, 'statSync');
eq(fs.lstatSync('/tmp/s/sl').isSymbolicLink(), true, 'lstatSync');
fd = fs.openSync('/tmp/w', 'r+');
eq(fs.fstatSync(fd).isFile(), true, 'fstatSync');
{
  // { bigint: true }: Node's BigIntStats, with the times to the nanosecond.
  const b = fs.fstatSync(fd, { bigint: true });
  eq(typeof b.size, 'bigint', 'fstatSync bigint');
  eq(b.isFile(), true, 'BigIntStats isFile');
  rump.sys.utimensat(-100, '/tmp/s', [5.25, 7.5], 0);
  const d = fs.lstatSync('/tmp/s', { bigint: true });
  eq(d.mtimeNs, 7500000000n, 'mtimeNs');
  eq(d.mtimeMs, 7500n, 'bigint mtimeMs');
  eq(d.mtime.getTime(), 7500, 'BigIntStats mtime Date');
  eq(fs.statSync('/tmp/s', { bigint: true }).atimeNs, 5250000000n, 'atimeNs');
}
b = new Uint8Array(3);
eq(fs.readSync(fd, b, 0, 3, 3), 3, 'readSync');
eq(dec(b), 'def', 'readSync data');
eq(fs.writeSync(fd, 'XY', 0), 2, 'writeSync string');
eq(fs.writeSync(fd, enc('Z'), 0, 1, 2), 1, 'writeSync buffer');
fs.fsyncSync(fd);
fs.fdatasyncSync(fd);
fs.ftruncateSync(fd, 4);
fs.fchmodSync(fd, 0o640);
fs.fchownSync(fd, 5, 6);
fs.futimesSync(fd, 100, 200);
fs.closeSync(fd);
eq(fs.readFileSync('/tmp/w', 'utf8'), 'XYZd', 'after fd ops');
eq(fs.existsSync('/tmp/w'), true, 'existsSync');
fs.accessSync('/tmp/w', fs.constants.R_OK);
eq(fs.mkdirSync('/tmp/p/q/r', { recursive: true }), '/tmp/p', 'mkdirSync recursive');
assert(fs.mkdtempSync('/tmp/t-').startsWith('/tmp/t-'), 'mkdtempSync');
fs.rmSync('/tmp/p', { recursive: true });
fs.mkdirSync('/tmp/rd');
fs.rmdirSync('/tmp/rd');
fs.writeFileSync('/tmp/u', '');
fs.unlinkSync('/tmp/u');
fs.renameSync('/tmp/w', '/tmp/w2');
fs.linkSync('/tmp/w2', '/tmp/w3');
fs.symlinkSync('w2', '/tmp/w4');
eq(fs.readlinkSync('/tmp/w4'), 'w2', 'readlinkSync');
eq(fs.realpathSync('/tmp/w4'), '/tmp/w2', 'realpathSync');
fs.chmodSync('/tmp/w2', '644');
fs.lchmodSync('/tmp/w4', 0o777);
fs.chownSync('/tmp/w2', 1, 1);
fs.lchownSync('/tmp/w4', 1, 1);
fs.utimesSync('/tmp/w2', new Date(1000), 2);
fs.lutimesSync('/tmp/w4', 3, 4);
eq(fs.statSync('/tmp/w2').mtimeMs, 2000, 'utimesSync');
fs.truncateSync('/tmp/w2', 1);
fs.copyFileSync('/tmp/w2', '/tmp/w5');
fs.cpSync('/tmp/s', '/tmp/s2', { recursive: true });
assert(fs.existsSync('/tmp/s2/f'), 'cpSync');
eq(fs.statfsSync('/tmp').fstypename, 'tmpfs', 'statfsSync');

// ---------------------------------------------------------------- fs.promises
const P = fs.promises;
await P.writeFile('/tmp/pw', 'p');
await P.appendFile('/tmp/pw', 'q');
eq(await P.readFile('/tmp/pw', 'utf8'), 'pq', 'promises.readFile');
assert((await P.readdir('/tmp')).includes('pw'), 'promises.readdir');
eq((await P.stat('/tmp/pw')).size, 2, 'promises.stat');
await P.symlink('pw', '/tmp/pl');
eq((await P.lstat('/tmp/pl')).isSymbolicLink(), true, 'promises.lstat');
await P.access('/tmp/pw');
await P.mkdir('/tmp/pd/x', { recursive: true });
assert((await P.mkdtemp('/tmp/pt-')).startsWith('/tmp/pt-'), 'promises.mkdtemp');
await P.rm('/tmp/pd', { recursive: true });
await P.mkdir('/tmp/pe');
await P.rmdir('/tmp/pe');
await P.writeFile('/tmp/pu', '');
await P.unlink('/tmp/pu');
await P.rename('/tmp/pw', '/tmp/pw2');
await P.link('/tmp/pw2', '/tmp/pw3');
eq(await P.readlink('/tmp/pl'), 'pw', 'promises.readlink');
await P.symlink('pw2', '/tmp/pl2');
eq(await P.realpath('/tmp/pl2'), '/tmp/pw2', 'promises.realpath');
await P.chmod('/tmp/pw2', 0o600);
await P.lchmod('/tmp/pl2', 0o600);
await P.chown('/tmp/pw2', 2, 2);
await P.lchown('/tmp/pl2', 2, 2);
await P.utimes('/tmp/pw2', 1, 2);
await P.lutimes('/tmp/pl2', 1, 2);
await P.truncate('/tmp/pw2', 1);
const pfd = await P.open('/tmp/pw2', 'r+');
eq((await P.fstat(pfd)).size, 1, 'promises.fstat');
eq(await P.read(pfd, new Uint8Array(1), 0, 1, 0), 1, 'promises.read');
eq(await P.write(pfd, 'w', 0), 1, 'promises.write');
await P.fsync(pfd);
await P.fdatasync(pfd);
await P.ftruncate(pfd, 1);
await P.fchmod(pfd, 0o644);
await P.fchown(pfd, 0, 0);
await P.futimes(pfd, 1, 2);
await P.close(pfd);
await P.copyFile('/tmp/pw2', '/tmp/pw4');
await P.cp('/tmp/s', '/tmp/s3', { recursive: true });
eq((await P.statfs('/tmp')).fstypename, 'tmpfs', 'promises.statfs');
await P.readFile('/nonexistent').then(
  () => { throw new Error('promises.readFile should reject'); },
  (e) => eq(e.code, 'ENOENT', 'promises rejection code'),
);

// ---------------------------------------------------------------- Buffer (what fs and crypto return)
const rb = fs.readFileSync('/tmp/w2');
assert(rb instanceof Buffer && rb instanceof Uint8Array, 'readFileSync returns a Buffer');
eq(Buffer.from('héllo').toString('hex'), '68c3a96c6c6f', 'Buffer.from utf8');
eq(Buffer.from('68c3a96c6c6f', 'hex').toString(), 'héllo', 'Buffer hex');
eq(Buffer.from('aGk=', 'base64').toString('latin1'), 'hi', 'Buffer base64');
eq(Buffer.concat([Buffer.from('a'), Buffer.from('bc')]).toString(), 'abc', 'Buffer.concat');
eq(Buffer.byteLength('é'), 2, 'Buffer.byteLength');
eq(crypto.createHash('md5').update('').digest().toString('hex'), 'd41d8cd98f00b204e9800998ecf8427e', 'digest Buffer');

// ---------------------------------------------------------------- fs callbacks
const cbResult = (f, ...args) => new Promise((resolve) => f(...args, (err, value) => resolve([err, value])));
let [cbErr, cbVal] = await cbResult(fs.writeFile, '/tmp/cb', 'callback');
eq(cbErr, null, 'fs.writeFile error');
[cbErr, cbVal] = await cbResult(fs.readFile, '/tmp/cb', 'utf8');
eq(cbVal, 'callback', 'fs.readFile');
[cbErr, cbVal] = await cbResult(fs.stat, '/tmp/nonexistent');
eq(cbErr.code, 'ENOENT', 'fs.stat error');
throwsCode(() => fs.readFile('/tmp/cb'), 'ERR_INVALID_ARG_TYPE', 'callback missing');
// Every other callback function once: its callback runs with an error or a value.
for (const name of Object.keys(sigs)) {
  const m = /^fs\.(\w+)$/.exec(name);
  if (!m || typeof fs.promises[m[1]] !== 'function') continue;
  if (called.has(name)) continue;
  const [e] = await cbResult(fs[m[1]], '/tmp/nonexistent-cb');
  assert(e === null || e instanceof Error, `fs.${m[1]} callback`);
}

// ---------------------------------------------------------------- process, crypto, rump.host
eq(process.cwd(), '/', 'process.cwd');
process.chdir('/tmp');
eq(process.cwd(), '/tmp', 'process.chdir');
process.chdir('/');
eq(process.hrtime().length, 2, 'process.hrtime');
assert(process.uptime() >= 0, 'process.uptime');
eq(process.umask(), 0o022, 'process.umask');
let ticked = false;
process.nextTick(() => { ticked = true; });
await null;
assert(ticked, 'process.nextTick');
assert(process.memoryUsage().rss > 0, 'process.memoryUsage');
eq(crypto.createHash('sha256').update('abc').digest('hex'),
  'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'sha256');
assert(crypto.getHashes().includes('md5'), 'getHashes');
eq(crypto.randomBytes(8).length, 8, 'randomBytes');
eq(crypto.randomUUID().length, 36, 'randomUUID');
eq(crypto.getRandomValues(new Uint8Array(4)).length, 4, 'getRandomValues');
eq(Array.isArray(rump.host.grants()), true, 'rump.host.grants');
throwsCode(() => rump.host.copyIn('/etc/passwd', '/tmp/pw'), 'ERR_ACCESS_DENIED', 'copyIn denied');
throwsCode(() => rump.host.copyOut('/tmp/pw2', '/tmp/host-out'), 'ERR_ACCESS_DENIED', 'copyOut denied');

// rump.setCredentials last: it drops root.
rump.setCredentials({ uid: 1000, gid: 100, groups: [100, 5] });
eq(S.getuid(), 1000, 'setCredentials');
throwsCode(() => fs.writeFileSync('/tmp/s/f', 'x'), 'EACCES', 'unprivileged write');

called.add('process.exit');
called.add('rump.signatures'); // called at the top, before the wrappers
const missed = Object.keys(sigs).filter((n) => !called.has(n));
if (missed.length) {
  console.error(`bindings never reached: ${missed.join(', ')}`);
  process.exit(1);
}
console.log(`all ${Object.keys(sigs).length} bindings reached`);
