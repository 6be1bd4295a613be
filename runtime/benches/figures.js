// The JavaScript host's figures, measured inside one rumpjs process (run by figures.sh, which adds the host's
// side). Usage: rumpjs --allow-host DIR run figures.js DIR [MiB]
const [hostDir, mibArg] = process.argv.slice(2);
const MiB = Number(mibArg ?? 1024);
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

// 1. Native syscall cost: 1,000,000 rump.sys.fstat calls from a JS loop inside a function.
fs.writeFileSync('/tmp/f', 'x');
const fd = rump.sys.open('/tmp/f', rump.O_RDONLY);
function fstatLoop(n) {
  const fstat = rump.sys.fstat;
  for (let i = 0; i < n; i++) fstat(fd);
}
function emptyLoop(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s += i;
  return s;
}
let t0 = process.hrtime.bigint();
fstatLoop(1_000_000);
const fstatMs = ms(t0);
t0 = process.hrtime.bigint();
emptyLoop(1_000_000);
const loopMs = ms(t0);
console.log(`fstat_1m_ms ${fstatMs.toFixed(0)}`);
console.log(`fstat_us_per_call ${(fstatMs / 1000).toFixed(3)}`);
console.log(`empty_loop_1m_ms ${loopMs.toFixed(0)}`);

// 2. lstat + readFileSync over 10,000 small files (the 20 us/file budget).
fs.mkdirSync('/tmp/small');
const body = new TextEncoder().encode('hello world '.repeat(500));
for (let i = 0; i < 10000; i++) fs.writeFileSync(`/tmp/small/f${i}`, body);
function walk(dir) {
  let n = 0;
  for (const name of fs.readdirSync(dir)) {
    const p = dir + '/' + name;
    if (fs.lstatSync(p).isFile()) n += fs.readFileSync(p).length;
  }
  return n;
}
t0 = process.hrtime.bigint();
walk('/tmp/small');
console.log(`lstat_readfile_us_per_file ${(ms(t0) * 1000 / 10000).toFixed(2)}`);
fs.rmSync('/tmp/small', { recursive: true });

// 3. readFileSync + sha256 of a large file in tmpfs; the same bytes are copied out for sha256sum.
const chunk = crypto.randomBytes(64 << 20);
const big = '/tmp/big';
const wfd = fs.openSync(big, 'w');
for (let left = MiB << 20; left > 0; left -= chunk.length) fs.writeSync(wfd, chunk, 0, Math.min(left, chunk.length));
fs.closeSync(wfd);
t0 = process.hrtime.bigint();
const data = fs.readFileSync(big);
const readMs = ms(t0);
t0 = process.hrtime.bigint();
const digest = crypto.createHash('sha256').update(data).digest('hex');
const hashMs = ms(t0);
console.log(`big_file_mib ${MiB}`);
console.log(`readfile_ms ${readMs.toFixed(0)}`);
console.log(`sha256_ms ${hashMs.toFixed(0)}`);
console.log(`readfile_sha256_mib_s ${(MiB / ((readMs + hashMs) / 1000)).toFixed(0)}`);
console.log(`sha256 ${digest}`);
// The same streamed: 1 MiB reads into one buffer, each hashed (no 1 GiB buffer to fault in).
t0 = process.hrtime.bigint();
{
  const h = crypto.createHash('sha256');
  const b = new Uint8Array(1 << 20);
  const sfd = fs.openSync(big, 'r');
  for (let n; (n = fs.readSync(sfd, b, 0, b.length, null)) > 0; ) h.update(n === b.length ? b : b.subarray(0, n));
  fs.closeSync(sfd);
  if (h.digest('hex') !== digest) throw new Error('streamed digest differs');
}
console.log(`streamed_sha256_mib_s ${(MiB / (ms(t0) / 1000)).toFixed(0)}`);
if (hostDir) {
  fs.rmSync('/tmp/f');
  rump.host.copyOut(big, `${hostDir}/big`);
}

