// tree: the directory hierarchy under PATH drawn with box characters, then the counts.
// rumpjs --image disk.img run scripts/tree.js [/ffs]
import { childPath } from 'rumpjs:format';

const root = process.argv[2] ?? '/ffs';
let dirs = 0;
let files = 0;
function tree(p, prefix) {
  const ents = fs.readdirSync(p, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  ents.forEach((e, i) => {
    const last = i === ents.length - 1;
    const full = childPath(p, e.name);
    const link = e.isSymbolicLink() ? ` -> ${fs.readlinkSync(full)}` : '';
    console.log(`${prefix}${last ? '└── ' : '├── '}${e.name}${link}`);
    if (e.isDirectory()) {
      dirs++;
      tree(full, prefix + (last ? '    ' : '│   '));
    } else files++;
  });
}
console.log(root);
tree(root, '');
console.log(`\n${dirs} director${dirs === 1 ? 'y' : 'ies'}, ${files} file${files === 1 ? '' : 's'}`);
