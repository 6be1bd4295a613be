// du: disk usage in KiB of each directory under PATH (blocks held, hard links counted once);
// -s for the total only, -h for human sizes.
// rumpjs --image disk.img run scripts/du.js [-s] [-h] [/ffs]
const args = process.argv.slice(2);
const summary = args.includes('-s');
const human = args.includes('-h');
const root = args.find((a) => !a.startsWith('-')) ?? '/ffs';
const seen = new Set();
const show = (kib) => {
  if (!human) return String(kib);
  const u = ['K', 'M', 'G', 'T'];
  let v = kib;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return (v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)) + u[i];
};

function du(p, depth) {
  const st = fs.lstatSync(p);
  const key = `${st.dev}:${st.ino}`;
  let blocks = 0;
  if (!seen.has(key)) {
    seen.add(key);
    blocks = st.blocks;
  }
  if (st.isDirectory()) {
    for (const name of fs.readdirSync(p).sort()) blocks += du(p === '/' ? `/${name}` : `${p}/${name}`, depth + 1);
    if (!summary || depth === 0) console.log(`${show(Math.ceil(blocks / 2))}\t${p}`);
  }
  return blocks;
}
du(root, 0);
