// ls -lR: every file under PATH with its mode, links, owner, size and time, directory by directory.
// rumpjs --image disk.img run scripts/ls-lR.js [/ffs]
import { strmode, lsDate, major, minor, childPath } from 'rumpjs:format';

const root = process.argv[2] ?? '/ffs';
const now = Date.now();

function list(dir) {
  const names = fs.readdirSync(dir).sort();
  const rows = names.map((name) => {
    const p = childPath(dir, name);
    const st = fs.lstatSync(p);
    const size = st.isCharacterDevice() || st.isBlockDevice() ? `${major(st.rdev)}, ${minor(st.rdev)}` : String(st.size);
    const link = st.isSymbolicLink() ? ` -> ${fs.readlinkSync(p)}` : '';
    return { p, st, cols: [strmode(st.mode), String(st.nlink), String(st.uid), String(st.gid), size, lsDate(st.mtimeMs, now), name + link] };
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
