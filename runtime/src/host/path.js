// Node's `path` module (POSIX flavour), for the kernel's paths. Not a hot path: plain JavaScript.
// What Node's ERR_INVALID_ARG_TYPE says it received (as kernel-bindings' error::describe).
const received = (v) => {
  if (v === undefined || v === null) return String(v);
  if (typeof v === 'function') return v.name ? `function ${v.name}` : 'function';
  if (typeof v === 'object') {
    const c = Object.getPrototypeOf(v)?.constructor?.name;
    return c ? `an instance of ${c}` : '[Object: null prototype]';
  }
  if (typeof v === 'string') return `type string ('${v.length > 28 ? v.slice(0, 25) + '...' : v}')`;
  if (typeof v === 'symbol' || typeof v === 'bigint') return `type ${typeof v}`;
  return `type ${typeof v} (${v})`;
};
const validate = (p, name) => {
  if (typeof p !== 'string') {
    const e = new TypeError(`The "${name}" argument must be of type string. Received ${received(p)}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
};

function normalizeString(path, allowAboveRoot) {
  const out = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (allowAboveRoot) out.push('..');
    } else out.push(seg);
  }
  return out.join('/');
}

const path = {
  sep: '/',
  delimiter: ':',
  resolve(...args) {
    let resolved = '';
    let abs = false;
    for (let i = args.length - 1; i >= -1 && !abs; i--) {
      const p = i >= 0 ? args[i] : globalThis.process.cwd();
      validate(p, `paths[${i}]`);
      if (p.length === 0) continue;
      resolved = `${p}/${resolved}`;
      abs = p[0] === '/';
    }
    resolved = normalizeString(resolved, !abs);
    return abs ? `/${resolved}` : resolved.length > 0 ? resolved : '.';
  },
  normalize(p) {
    validate(p, 'path');
    if (p.length === 0) return '.';
    const abs = p[0] === '/';
    const trailing = p[p.length - 1] === '/';
    let r = normalizeString(p, !abs);
    if (r.length === 0) {
      if (abs) return '/';
      return trailing ? './' : '.';
    }
    if (trailing) r += '/';
    return abs ? `/${r}` : r;
  },
  isAbsolute(p) {
    validate(p, 'path');
    return p.length > 0 && p[0] === '/';
  },
  join(...args) {
    const parts = [];
    for (const a of args) {
      validate(a, 'path');
      if (a.length > 0) parts.push(a);
    }
    return parts.length === 0 ? '.' : path.normalize(parts.join('/'));
  },
  relative(from, to) {
    validate(from, 'from');
    validate(to, 'to');
    if (from === to) return '';
    const f = path.resolve(from).split('/').filter(Boolean);
    const t = path.resolve(to).split('/').filter(Boolean);
    let i = 0;
    while (i < f.length && i < t.length && f[i] === t[i]) i++;
    return [...Array(f.length - i).fill('..'), ...t.slice(i)].join('/');
  },
  dirname(p) {
    validate(p, 'path');
    if (p.length === 0) return '.';
    let end = p.length;
    while (end > 1 && p[end - 1] === '/') end--;
    const i = p.lastIndexOf('/', end - 1);
    if (i === -1) return '.';
    if (i === 0) return '/';
    let j = i;
    while (j > 1 && p[j - 1] === '/') j--;
    return p.slice(0, j);
  },
  basename(p, ext) {
    validate(p, 'path');
    if (ext !== undefined) validate(ext, 'ext');
    let end = p.length;
    while (end > 1 && p[end - 1] === '/') end--;
    if (end === 1 && p[0] === '/') return '';
    let b = p.slice(p.lastIndexOf('/', end - 1) + 1, end);
    if (ext !== undefined && b.endsWith(ext) && b !== ext) b = b.slice(0, b.length - ext.length);
    return b;
  },
  extname(p) {
    validate(p, 'path');
    const b = path.basename(p);
    const i = b.lastIndexOf('.');
    return i <= 0 ? '' : b.slice(i);
  },
  parse(p) {
    validate(p, 'path');
    const root = p[0] === '/' ? '/' : '';
    const base = path.basename(p);
    const ext = path.extname(p);
    let dir = path.dirname(p);
    if (dir === '.' && !p.includes('/')) dir = '';
    return { root, dir, base, ext, name: ext ? base.slice(0, base.length - ext.length) : base };
  },
  format(o) {
    const dir = o.dir || o.root || '';
    const base = o.base || `${o.name || ''}${o.ext ? (o.ext[0] === '.' ? '' : '.') + o.ext : ''}`;
    if (!dir) return base;
    return dir === o.root ? `${dir}${base}` : `${dir}/${base}`;
  },
  toNamespacedPath(p) {
    return p;
  },
  matchesGlob(p, pattern) {
    const re = new RegExp(
      '^' +
        pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\/?/g, '\u0000')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')
          .replace(/\u0000/g, '(?:.*/)?') +
        '$',
    );
    return re.test(p);
  },
};
path.posix = path;
path;
