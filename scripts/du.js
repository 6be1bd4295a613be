// du: disk usage in KiB of each directory under PATH (blocks held, hard links counted once);
// -s for the total only, -h for human sizes.
// rumpjs --image disk.img run scripts/du.js [-s] [-h] [/ffs]
import { humanize, childPath } from 'rumpjs:format';

const args = process.argv.slice(2);
const summary = args.includes('-s');
const human = args.includes('-h');
const root = args.find((a) => !a.startsWith('-')) ?? '/ffs';
const seen = new Set();
const show = (kib) => (human ? humanize(kib * 1024) : String(kib));

function du(p, depth) {
  const st = fs.lstatSync(p);
  const key = `${st.dev}:${st.ino}`;
  let blocks = 0;
  if (!seen.has(key)) {
    seen.add(key);
    blocks = st.blocks;
  }
  if (st.isDirectory()) {
    for (const name of fs.readdirSync(p).sort()) blocks += du(childPath(p, name), depth + 1);
    if (!summary || depth === 0) console.log(`${show(Math.ceil(blocks / 2))}\t${p}`);
  }
  return blocks;
}
du(root, 0);
