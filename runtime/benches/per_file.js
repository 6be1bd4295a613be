// Per-file costs from JavaScript, measured inside one rumpjs process on the bench corpus (run by per_file.sh,
// which adds the peer tools' side). The many-small image is mounted at /ffs, the large one at /big.
// Prints `key value` lines.
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const out = (k, v) => console.log(`${k} ${typeof v === 'number' ? v.toFixed(3) : v}`);

// The walk: every directory listed with its entries' types, as `fls -r -p` lists the image.
function walk(dir, files) {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = dir + '/' + d.name;
    if (d.isDirectory()) walk(p, files);
    else files.push(p);
  }
  return files;
}
// The same walk with names only (readdirSync + nothing else), for the cost of a Dirent.
function walkNames(dir) {
  let n = 0;
  for (const name of fs.readdirSync(dir)) {
    n++;
    if (!name.endsWith('.dat')) n += walkNames(dir + '/' + name);
  }
  return n;
}

// Best of three, as fls is timed (the first pass also reads the directories into the kernel's caches).
function best(f) {
  let b = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t = process.hrtime.bigint();
    f();
    b = Math.min(b, ms(t));
  }
  return b;
}
let t0 = process.hrtime.bigint();
const files = walk('/ffs', []);
out('files', files.length);
out('walk_cold_ms', ms(t0));
const walkMs = best(() => walk('/ffs', []));
out('walk_ms', walkMs);
out('walk_names_ms', best(() => walkNames('/ffs')));

// Each per-file operation over every file, best of three passes (the first warms the kernel's caches).
function perFile(name, f) {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < files.length; i++) f(files[i]);
    best = Math.min(best, ms(t));
  }
  out(`${name}_us`, (best * 1000) / files.length);
  return best;
}
const lstatMs = perFile('lstat', (p) => fs.lstatSync(p));
perFile('stat', (p) => fs.statSync(p));
perFile('access', (p) => rump.sys.access(p, 0));
perFile('open_close', (p) => fs.closeSync(fs.openSync(p, 'r')));
let bytes = 0;
const readMs = perFile('readfile', (p) => {
  bytes += fs.readFileSync(p).length;
});
out('lstat_all_ms', lstatMs);
out('read_all_ms', walkMs + readMs);
out('small_mib', bytes / 3 / 1048576);
perFile('buffer_alloc_6000', () => Buffer.alloc(6000));
perFile('uint8array_6000', () => new Uint8Array(6000));
{
  const getpid = rump.sys.getpid;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < 1_000_000; i++) getpid();
  out('getpid_us', ms(t0) / 1000);
}
const one = files[files.length >> 1];
{
  t0 = process.hrtime.bigint();
  for (let i = 0; i < 100_000; i++) rump.sys.access('/ffs', 0);
  out('access_ffs_us', ms(t0) / 100);
}
out('one_path_components', one.split('/').length - 1);

// The large files: readFileSync of each, and the same bytes read with 1 MiB readSync calls.
for (const name of fs.readdirSync('/big').sort()) {
  const p = '/big/' + name;
  t0 = process.hrtime.bigint();
  const d = fs.readFileSync(p);
  out(`large_readfile_ms ${name}`, ms(t0));
  out(`large_mib ${name}`, d.length / 1048576);
}
{
  const b = new Uint8Array(1 << 20);
  t0 = process.hrtime.bigint();
  let n = 0;
  for (const name of fs.readdirSync('/big')) {
    const fd = fs.openSync('/big/' + name, 'r');
    for (let k; (k = fs.readSync(fd, b, 0, b.length, null)) > 0; ) n += k;
    fs.closeSync(fd);
  }
  out('large_readsync_all_ms', ms(t0));
  out('large_all_mib', n / 1048576);
}
