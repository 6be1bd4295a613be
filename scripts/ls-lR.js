// ls -lR: every file under PATH with its mode, links, owner, size and time, directory by directory.
// rumpjs --image disk.img run scripts/ls-lR.js [/ffs]
const root = process.argv[2] ?? '/ffs';
const TYPE = { 0o010000: 'p', 0o020000: 'c', 0o040000: 'd', 0o060000: 'b', 0o100000: '-', 0o120000: 'l', 0o140000: 's' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function modeString(mode) {
  const rwx = (m, s, x) => (m & 4 ? 'r' : '-') + (m & 2 ? 'w' : '-') + (s ? (m & 1 ? x : x.toUpperCase()) : m & 1 ? 'x' : '-');
  return (TYPE[mode & 0o170000] ?? '?') + rwx(mode >> 6, mode & 0o4000, 's') + rwx(mode >> 3, mode & 0o2000, 's') +
    rwx(mode, mode & 0o1000, 't');
}

function when(d) {
  const old = Date.now() - d.getTime() > 182 * 864e5;
  const hm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${old ? ' ' + d.getUTCFullYear() : hm}`;
}

function list(dir) {
  const names = fs.readdirSync(dir).sort();
  const rows = names.map((name) => {
    const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
    const st = fs.lstatSync(p);
    const size = st.isCharacterDevice() || st.isBlockDevice() ? `${(st.rdev >>> 8) & 0xfff}, ${(st.rdev & 0xff) | ((st.rdev >>> 12) & 0xfff00)}` : String(st.size);
    const link = st.isSymbolicLink() ? ` -> ${fs.readlinkSync(p)}` : '';
    return { p, st, cols: [modeString(st.mode), String(st.nlink), String(st.uid), String(st.gid), size, when(st.mtime), name + link] };
  });
  const total = rows.reduce((n, r) => n + r.st.blocks, 0);
  console.log(`${dir}:\ntotal ${Math.ceil(total / 2)}`);
  const w = [0, 1, 2, 3, 4].map((i) => Math.max(0, ...rows.map((r) => r.cols[i].length)));
  for (const r of rows) {
    const c = r.cols;
    console.log(`${c[0]} ${c[1].padStart(w[1])} ${c[2].padEnd(w[2])}  ${c[3].padEnd(w[3])}  ${c[4].padStart(w[4])} ${c[5]} ${c[6]}`);
  }
  for (const r of rows) {
    if (r.st.isDirectory()) {
      console.log('');
      list(r.p);
    }
  }
}

list(root);
