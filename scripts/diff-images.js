// Differences between two trees — two images mounted side by side: added, removed, and changed entries
// (type, mode, owner, size, contents, link target). Exit status 1 when they differ, as diff(1).
// rumpjs --image a.img:/a --image b.img:/b run scripts/diff-images.js /a /b
import { entries, record } from './manifest.js';

const [a = '/a', b = '/b'] = process.argv.slice(2);
const index = (root) => {
  const m = new Map();
  for (const [p, st] of entries(root)) m.set(p.slice(root.length), record(p, st, p.slice(root.length)));
  return m;
};
const [ma, mb] = [index(a), index(b)];
let differ = 0;
for (const path of [...new Set([...ma.keys(), ...mb.keys()])].sort()) {
  const [x, y] = [ma.get(path), mb.get(path)];
  if (!y) console.log(`- ${path}`);
  else if (!x) console.log(`+ ${path}`);
  else {
    const fields = ['type', 'mode', 'uid', 'gid', 'size', 'sha256', 'target'].filter((k) => x[k] !== y[k]);
    if (fields.length === 0) continue;
    console.log(`~ ${path} (${fields.map((k) => `${k}: ${x[k]} -> ${y[k]}`).join(', ')})`);
  }
  differ++;
}
if (differ) {
  console.log(`${differ} difference${differ === 1 ? '' : 's'}`);
  process.exitCode = 1;
}
