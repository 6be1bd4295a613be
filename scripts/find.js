// find with predicates: -name GLOB, -path GLOB, -type f|d|l|b|c|p|s, -size [+-]N[ckMG], -mtime [+-]DAYS,
// -newer FILE, -user UID, -perm MODE, -empty; all must hold (an AND, as find's default).
// rumpjs --image disk.img run scripts/find.js /ffs -type f -name '*.txt' -size +1k
import { childPath } from 'rumpjs:format';

const [root = '/ffs', ...args] = process.argv.slice(2);
const glob = (g) => new RegExp('^' + g.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
const TYPES = { f: 0o100000, d: 0o040000, l: 0o120000, b: 0o060000, c: 0o020000, p: 0o010000, s: 0o140000 };
const UNITS = { c: 1, k: 1024, M: 1024 ** 2, G: 1024 ** 3 };
const cmp = (spec, value, unit = 1) => {
  const n = Number(spec.replace(/^[+-]/, '').replace(/[ckMG]$/, '')) * (UNITS[spec.at(-1)] ?? unit);
  return spec[0] === '+' ? value > n : spec[0] === '-' ? value < n : value === n;
};

const preds = [];
for (let i = 0; i < args.length; i++) {
  const [opt, val] = [args[i], args[i + 1]];
  const take = () => { i++; if (val === undefined) throw new Error(`find: ${opt} needs a value`); return val; };
  switch (opt) {
    case '-name': { const re = glob(take()); preds.push((p) => re.test(p.slice(p.lastIndexOf('/') + 1))); break; }
    case '-path': { const re = glob(take()); preds.push((p) => re.test(p)); break; }
    case '-type': { const t = TYPES[take()]; preds.push((p, st) => (st.mode & 0o170000) === t); break; }
    case '-size': { const s = take(); preds.push((p, st) => cmp(s, /[ckMG]$/.test(s) ? st.size : Math.ceil(st.size / 512), 1)); break; }
    case '-mtime': { const s = take(); preds.push((p, st) => cmp(s, Math.floor((Date.now() - st.mtimeMs) / 864e5))); break; }
    case '-newer': { const t = fs.statSync(take()).mtimeMs; preds.push((p, st) => st.mtimeMs > t); break; }
    case '-user': { const u = Number(take()); preds.push((p, st) => st.uid === u); break; }
    case '-perm': { const m = parseInt(take(), 8); preds.push((p, st) => (st.mode & 0o7777) === m); break; }
    case '-empty': preds.push((p, st) => (st.isDirectory() ? fs.readdirSync(p).length === 0 : st.isFile() && st.size === 0)); break;
    default: throw new Error(`find: unknown predicate ${opt}`);
  }
}

function walk(p) {
  const st = fs.lstatSync(p);
  if (preds.every((f) => f(p, st))) console.log(p);
  if (st.isDirectory()) for (const name of fs.readdirSync(p).sort()) walk(childPath(p, name));
}
walk(root);
