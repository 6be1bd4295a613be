// Node's `path` (POSIX), the part scripts use: what commands.js imports as 'path' in the page's Worker.
const normalizeParts = (parts, absolute) => {
  const out = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else out.push(p);
  }
  return out;
};

const path = {
  sep: '/',
  delimiter: ':',
  cwd: () => globalThis.process?.cwd?.() ?? '/',
  isAbsolute: (p) => p.startsWith('/'),
  normalize(p) {
    if (p === '') return '.';
    const abs = p.startsWith('/');
    const trailing = p.endsWith('/');
    let s = normalizeParts(p.split('/'), abs).join('/');
    if (!s && !abs) s = '.';
    if (s && trailing) s += '/';
    return (abs ? '/' : '') + s;
  },
  join: (...parts) => path.normalize(parts.filter((p) => p !== '').join('/') || '.'),
  resolve(...parts) {
    let r = '';
    for (let i = parts.length - 1; i >= -1 && !r.startsWith('/'); i--) {
      const p = i >= 0 ? parts[i] : path.cwd();
      if (p) r = r ? `${p}/${r}` : p;
    }
    return '/' + normalizeParts(r.split('/'), true).join('/');
  },
  dirname(p) {
    if (!p) return '.';
    const s = p.replace(/\/+$/, '');
    if (!s) return '/';
    const i = s.lastIndexOf('/');
    if (i < 0) return '.';
    return s.slice(0, i).replace(/\/+$/, '') || '/';
  },
  basename(p, ext) {
    const b = p.replace(/\/+$/, '').split('/').pop() ?? '';
    return ext && b.endsWith(ext) && b !== ext ? b.slice(0, -ext.length) : b;
  },
  extname(p) {
    const b = path.basename(p);
    const i = b.lastIndexOf('.');
    return i > 0 ? b.slice(i) : '';
  },
  relative(from, to) {
    const a = path.resolve(from).split('/').filter(Boolean);
    const b = path.resolve(to).split('/').filter(Boolean);
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return [...Array(a.length - i).fill('..'), ...b.slice(i)].join('/');
  },
  parse(p) {
    const base = path.basename(p);
    const ext = path.extname(p);
    return { root: p.startsWith('/') ? '/' : '', dir: path.dirname(p), base, ext, name: ext ? base.slice(0, -ext.length) : base };
  },
  format: (o) => (o.dir ? `${o.dir}/` : o.root ?? '') + (o.base ?? `${o.name ?? ''}${o.ext ?? ''}`),
};
path.posix = path;
export default path;
