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
  // minimatch's rules, as Node's path.matchesGlob uses them: `*` and `?` within a name, `**` a whole name
  // matching any number of names, classes `[a-z]` `[!x]` `[^x]`, braces `{a,b}` `{1..3}`, extglobs
  // `+(a|b)` `*(…)` `?(…)` `@(…)` `!(…)`; names starting with '.' only where the pattern's name does;
  // a backslash is a path separator (windowsPathsNoEscape), empty names are ignored.
  matchesGlob(p, pattern) {
    validate(p, 'path');
    validate(pattern, 'pattern');
    const names = p.split('/').filter((n, i) => n !== '' || i === 0);
    if (names.length > 1 && names[names.length - 1] === '') names.pop();
    return globPatterns(pattern).some((segs) => globMatch(segs, 0, names, 0));
  },
};

/// `{a,b}` and `{1..3}` expanded (nested braces too), as minimatch's brace-expansion does.
const expandBraces = (s) => {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '{' && depth++ === 0) open = i;
    else if (s[i] === '}' && depth > 0 && --depth === 0) {
      const body = s.slice(open + 1, i);
      const pre = s.slice(0, open);
      const post = s.slice(i + 1);
      const parts = [];
      let d = 0;
      let from = 0;
      for (let j = 0; j < body.length; j++) {
        if (body[j] === '{') d++;
        else if (body[j] === '}') d--;
        else if (body[j] === ',' && d === 0) {
          parts.push(body.slice(from, j));
          from = j + 1;
        }
      }
      parts.push(body.slice(from));
      let alts = parts;
      if (parts.length === 1) {
        const r = /^(-?\d+)\.\.(-?\d+)$/.exec(body) || /^([a-zA-Z])\.\.([a-zA-Z])$/.exec(body);
        if (!r) return expandBraces(post).map((x) => pre + '{' + body + '}' + x);
        const num = /\d/.test(r[1]);
        const lo = num ? Number(r[1]) : r[1].charCodeAt(0);
        const hi = num ? Number(r[2]) : r[2].charCodeAt(0);
        alts = [];
        for (let k = lo; lo <= hi ? k <= hi : k >= hi; k += lo <= hi ? 1 : -1) alts.push(num ? String(k) : String.fromCharCode(k));
      }
      const tails = expandBraces(post);
      return alts.flatMap((alt) => expandBraces(pre + alt).flatMap((h) => tails.map((t) => h + t)));
    }
  }
  return [s];
};

/// The pattern as lists of names, one list per brace alternative: '**' or a RegExp for one name.
const globPatterns = (pattern) =>
  expandBraces(pattern.replace(/\\/g, '/')).map((alt) => {
    const segs = alt.split('/').filter((n, i) => n !== '' || i === 0);
    return segs.map((seg) => (seg === '**' ? '**' : globName(seg)));
  });

/// One name of a pattern as a RegExp (anchored).
const globName = (seg) => {
  const special = /[.+^${}()|\\]/;
  const body = (s, i, stopAt) => {
    let out = '';
    for (; i < s.length; i++) {
      const c = s[i];
      if (stopAt && (c === '|' || c === ')')) return [out, i];
      if ('+*?@!'.includes(c) && s[i + 1] === '(') {
        const alts = [];
        let j = i + 2;
        for (;;) {
          const [part, k] = body(s, j, true);
          alts.push(part);
          if (k >= s.length) return [out + escape(s.slice(i)), s.length];
          j = k + 1;
          if (s[k] === ')') break;
        }
        const group = `(?:${alts.join('|')})`;
        const rest = body(s, j, stopAt);
        if (c === '!') out += `(?:(?!${group}${rest[0]}$)[^/]*?)`;
        else out += group + ({ '+': '+', '*': '*', '?': '?', '@': '' })[c];
        if (c === '!') return [out, rest[1]];
        return [out + rest[0], rest[1]];
      }
      if (c === '*') out += '[^/]*?';
      else if (c === '?') out += '[^/]';
      else if (c === '[') {
        const close = s.indexOf(']', i + 2);
        if (close < 0) out += '\\[';
        else {
          let cls = s.slice(i + 1, close);
          const neg = cls[0] === '!' || cls[0] === '^';
          if (neg) cls = cls.slice(1);
          out += `[${neg ? '^' : ''}${cls.replace(/\\/g, '\\\\').replace(/^\]/, '\\]')}]`;
          i = close;
        }
      } else out += special.test(c) ? '\\' + c : c;
    }
    return [out, i];
  };
  const escape = (t) => t.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');
  const [re] = body(seg, 0, false);
  // A name starting with '.' matches only a pattern name that starts with a '.' itself.
  return new RegExp(`^${seg.startsWith('.') ? '' : '(?!\\.)'}${re}$`);
};

/// Whether names[j…] match pattern names segs[i…] ('**' takes any number of names, none starting with '.').
const globMatch = (segs, i, names, j) => {
  for (; i < segs.length; i++, j++) {
    if (segs[i] === '**') {
      // A '**' that ends the pattern takes at least one name (minimatch: 'a' does not match 'a/**').
      if (i === segs.length - 1) return j < names.length && names.slice(j).every((n) => !n.startsWith('.'));
      for (let k = j; k <= names.length; k++) {
        if (globMatch(segs, i + 1, names, k)) return true;
        if (k < names.length && (names[k].startsWith('.') || names[k] === '')) return false;
      }
      return false;
    }
    if (j >= names.length) return false;
    const n = names[j];
    if ((n === '.' || n === '..') && segs[i].source !== `^${n === '.' ? '\\.' : '\\.\\.'}$`) return false;
    if (!segs[i].test(n)) return false;
  }
  return j === names.length;
};
path.posix = path;
path;
