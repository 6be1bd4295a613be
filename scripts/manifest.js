// A checksum manifest: one JSON line per file under PATH, in path order —
// {path, type, mode, uid, gid, size, mtime, sha256} for files, {…, target} for symbolic links.
// rumpjs --image disk.img run scripts/manifest.js [/ffs] > manifest.jsonl
import { childPath } from 'rumpjs:format';

const root = process.argv[2] ?? '/ffs';
const TYPES = { 0o010000: 'fifo', 0o020000: 'char', 0o040000: 'dir', 0o060000: 'block', 0o100000: 'file', 0o120000: 'link', 0o140000: 'socket' };

export function* entries(dir) {
  for (const name of fs.readdirSync(dir).sort()) {
    const p = childPath(dir, name);
    const st = fs.lstatSync(p);
    yield [p, st];
    if (st.isDirectory()) yield* entries(p);
  }
}

export function record(p, st, rel) {
  const r = {
    path: rel, type: TYPES[st.mode & 0o170000] ?? 'unknown', mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
    uid: st.uid, gid: st.gid, size: st.size, mtime: Math.floor(st.mtimeMs / 1000),
  };
  if (st.isFile()) r.sha256 = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  if (st.isSymbolicLink()) r.target = fs.readlinkSync(p);
  return r;
}

if (import.meta.filename === process.argv[1]) {
  for (const [p, st] of entries(root)) console.log(JSON.stringify(record(p, st, p.slice(root.length) || '/')));
}
