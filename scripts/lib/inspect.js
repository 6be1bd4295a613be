// A value inspector in the manner of Node's util.inspect: what the REPL shows, what assert's diffs and
// console.log of objects use. Uint8Array bytes are shown as hex; Stats and errors with their codes.

const DEFAULTS = { depth: 2, colors: false, maxArrayLength: 100, maxStringLength: 10000, breakLength: 80, maxBytes: 64 };

const STYLES = {
  number: ['\x1b[33m', '\x1b[39m'],
  bigint: ['\x1b[33m', '\x1b[39m'],
  boolean: ['\x1b[33m', '\x1b[39m'],
  string: ['\x1b[32m', '\x1b[39m'],
  undefined: ['\x1b[90m', '\x1b[39m'],
  null: ['\x1b[1m', '\x1b[22m'],
  symbol: ['\x1b[32m', '\x1b[39m'],
  special: ['\x1b[36m', '\x1b[39m'],
  date: ['\x1b[35m', '\x1b[39m'],
  regexp: ['\x1b[31m', '\x1b[39m'],
  name: ['', ''],
};

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const CUSTOM = Symbol.for('nodejs.util.inspect.custom');

function quote(s) {
  let q = "'";
  if (s.includes("'")) q = s.includes('"') ? (s.includes('`') ? "'" : '`') : '"';
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === q || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return q + out + q;
}

function ctorName(obj) {
  try {
    const proto = Object.getPrototypeOf(obj);
    if (proto === null) return null;
    const c = proto.constructor;
    return typeof c === 'function' && typeof c.name === 'string' ? c.name : null;
  } catch {
    return null;
  }
}

function hex(b) {
  return b.toString(16).padStart(2, '0');
}

class Inspector {
  constructor(opts) {
    this.o = Object.assign({}, DEFAULTS, opts);
    this.seen = [];
    this.circular = new Map();
  }

  style(text, kind) {
    if (!this.o.colors) return text;
    const s = STYLES[kind];
    return s ? s[0] + text + s[1] : text;
  }

  key(k) {
    if (typeof k === 'symbol') return '[' + this.style(k.toString(), 'symbol') + ']';
    return IDENT.test(k) ? k : this.style(quote(k), 'string');
  }

  primitive(v) {
    switch (typeof v) {
      case 'string': {
        let s = v;
        let more = '';
        if (s.length > this.o.maxStringLength) {
          more = `... ${s.length - this.o.maxStringLength} more characters`;
          s = s.slice(0, this.o.maxStringLength);
        }
        return this.style(quote(s), 'string') + more;
      }
      case 'number':
        return this.style(Object.is(v, -0) ? '-0' : String(v), 'number');
      case 'bigint':
        return this.style(String(v) + 'n', 'bigint');
      case 'boolean':
        return this.style(String(v), 'boolean');
      case 'undefined':
        return this.style('undefined', 'undefined');
      case 'symbol':
        return this.style(v.toString(), 'symbol');
      default:
        return null;
    }
  }

  fmt(v, depth) {
    if (v === null) return this.style('null', 'null');
    const p = this.primitive(v);
    if (p !== null) return p;
    if (typeof v === 'function') return this.fmtFunction(v, depth);
    if (this.seen.includes(v)) {
      if (!this.circular.has(v)) this.circular.set(v, this.circular.size + 1);
      return this.style(`[Circular *${this.circular.get(v)}]`, 'special');
    }
    return this.fmtObject(v, depth);
  }

  fmtFunction(f, depth) {
    let src = '';
    try {
      src = Function.prototype.toString.call(f);
    } catch {}
    const isClass = src.startsWith('class');
    const name = f.name ? `: ${f.name}` : ' (anonymous)';
    const base = this.style(isClass ? `[class ${f.name || '(anonymous)'}]` : `[Function${name}]`, 'special');
    const keys = Object.keys(f);
    if (keys.length === 0 || depth > this.o.depth) return base;
    return this.wrap(base + ' {', keys.map((k) => `${this.key(k)}: ${this.child(f[k], depth)}`), '}');
  }

  child(v, depth) {
    return this.fmt(v, depth + 1);
  }

  fmtObject(v, depth) {
    // Node's util.inspect.custom: an object may say what to show instead of itself (Stats do).
    let custom;
    try {
      custom = v[CUSTOM];
    } catch {}
    if (typeof custom === 'function' && !this.inCustom) {
      let r;
      try {
        this.inCustom = true;
        r = custom.call(v, this.o.depth - depth, Object.assign({}, this.o), inspect);
      } finally {
        this.inCustom = false;
      }
      if (r !== v) return typeof r === 'string' ? r : this.fmt(r, depth);
    }
    const name = ctorName(v);
    if (v instanceof Error) return this.fmtError(v, depth);
    if (v instanceof Date) {
      const t = v.getTime();
      return this.style(Number.isNaN(t) ? 'Invalid Date' : v.toISOString(), 'date');
    }
    if (v instanceof RegExp) return this.style(String(v), 'regexp');
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return this.fmtTyped(v, name);
    if (v instanceof ArrayBuffer) {
      return `ArrayBuffer { byteLength: ${this.style(String(v.byteLength), 'number')} }`;
    }
    if (v instanceof Promise) {
      // rumpjs's hook (JavaScript itself cannot read a promise's state); elsewhere the state is unknown.
      const st = Promise[Symbol.for('rumpjs.promiseState')]?.(v);
      if (!st) return `Promise { ${this.style('<unknown>', 'special')} }`;
      if (st[0] === 'pending') return `Promise { ${this.style('<pending>', 'special')} }`;
      const shown = this.fmt(st[1], depth + 1);
      return `Promise { ${st[0] === 'rejected' ? this.style('<rejected>', 'special') + ' ' : ''}${shown} }`;
    }
    if (v instanceof Number || v instanceof String || v instanceof Boolean) {
      return this.style(`[${ctorName(v)}: ${this.primitive(v.valueOf())}]`, 'special');
    }
    if (depth > this.o.depth) {
      if (Array.isArray(v)) return this.style('[Array]', 'special');
      return this.style(`[${name || 'Object'}]`, 'special');
    }
    this.seen.push(v);
    try {
      let out;
      if (Array.isArray(v)) out = this.fmtArray(v, depth);
      else if (v instanceof Map) out = this.fmtMap(v, depth, name);
      else if (v instanceof Set) out = this.fmtSet(v, depth, name);
      else out = this.fmtPlain(v, depth, name);
      if (this.circular.has(v)) out = this.style(`<ref *${this.circular.get(v)}>`, 'special') + ' ' + out;
      return out;
    } finally {
      this.seen.pop();
    }
  }

  props(v, depth, skipIndices) {
    const out = [];
    let keys;
    try {
      keys = Reflect.ownKeys(v);
    } catch {
      return out;
    }
    for (const k of keys) {
      if (skipIndices && typeof k === 'string' && /^(0|[1-9][0-9]*)$/.test(k)) continue;
      if (skipIndices && k === 'length') continue;
      const d = Object.getOwnPropertyDescriptor(v, k);
      if (!d || !d.enumerable) continue;
      let val;
      if (d.get && d.set) val = this.style('[Getter/Setter]', 'special');
      else if (d.get) val = this.style('[Getter]', 'special');
      else if (d.set) val = this.style('[Setter]', 'special');
      else val = this.child(d.value, depth);
      out.push(`${this.key(k)}: ${val}`);
    }
    return out;
  }

  fmtArray(a, depth) {
    const items = [];
    const n = Math.min(a.length, this.o.maxArrayLength);
    let holes = 0;
    const flush = () => {
      if (holes) items.push(this.style(`<${holes} empty item${holes > 1 ? 's' : ''}>`, 'undefined'));
      holes = 0;
    };
    for (let i = 0; i < n; i++) {
      if (!(i in a)) {
        holes++;
        continue;
      }
      flush();
      items.push(this.child(a[i], depth));
    }
    flush();
    if (a.length > n) items.push(`... ${a.length - n} more item${a.length - n > 1 ? 's' : ''}`);
    items.push(...this.props(a, depth, true));
    const prefix = ctorName(a) && ctorName(a) !== 'Array' ? `${ctorName(a)}(${a.length}) ` : '';
    return this.wrap(prefix + '[', items, ']');
  }

  fmtTyped(t, name) {
    const n = t.length;
    if (t instanceof Uint8Array || t instanceof Uint8ClampedArray || t instanceof Int8Array) {
      const shown = Math.min(n, this.o.maxBytes);
      const bytes = [];
      for (let i = 0; i < shown; i++) bytes.push(hex(t[i] & 0xff));
      const more = n > shown ? ` ... ${n - shown} more byte${n - shown > 1 ? 's' : ''}` : '';
      return `${name || 'Uint8Array'}(${n}) <${bytes.join(' ')}${more}>`;
    }
    const shown = Math.min(n, this.o.maxArrayLength);
    const items = [];
    for (let i = 0; i < shown; i++) items.push(this.primitive(t[i]));
    if (n > shown) items.push(`... ${n - shown} more items`);
    return this.wrap(`${name}(${n}) [`, items, ']');
  }

  fmtMap(m, depth, name) {
    const items = [];
    for (const [k, val] of m) items.push(`${this.child(k, depth)} => ${this.child(val, depth)}`);
    items.push(...this.props(m, depth));
    return this.wrap(`${name || 'Map'}(${m.size}) {`, items, '}');
  }

  fmtSet(s, depth, name) {
    const items = [];
    for (const val of s) items.push(this.child(val, depth));
    items.push(...this.props(s, depth));
    return this.wrap(`${name || 'Set'}(${s.size}) {`, items, '}');
  }

  fmtPlain(v, depth, name) {
    const items = this.props(v, depth);
    let prefix = '';
    if (name === null) prefix = '[Object: null prototype] ';
    else if (name !== 'Object') prefix = name + ' ';
    else if (v[Symbol.toStringTag]) prefix = `Object [${v[Symbol.toStringTag]}] `;
    if (items.length === 0) return prefix + '{}';
    return this.wrap(prefix + '{', items, '}');
  }

  fmtError(e, depth) {
    let head;
    try {
      head = typeof e.stack === 'string' && e.stack.length > 0 ? e.stack : null;
    } catch {
      head = null;
    }
    const summary = `${e.name || 'Error'}${e.message ? ': ' + e.message : ''}`;
    if (!head) head = summary;
    else if (!head.startsWith(summary)) head = summary + '\n' + head;
    head = head.replace(/\n+$/, '');
    if (depth > this.o.depth) return `[${summary}]`;
    this.seen.push(e);
    try {
      const items = this.props(e, depth).filter((s) => !s.startsWith('stack:') && !s.startsWith('message:'));
      if (items.length === 0) return head;
      return this.wrap(head + ' {', items, '}', true);
    } finally {
      this.seen.pop();
    }
  }

  /// One line if it fits in breakLength, otherwise one item per line, indented.
  wrap(open, items, close, forceBreak) {
    if (items.length === 0) return open + close;
    const oneLine = `${open} ${items.join(', ')} ${close}`;
    const visible = oneLine.replace(/\x1b\[[0-9;]*m/g, '');
    if (!forceBreak && visible.length <= this.o.breakLength && !visible.includes('\n')) return oneLine;
    const plain = items.map((s) => s.replace(/\x1b\[[0-9;]*m/g, ''));
    // A "... 50 more items" trailer goes on a line of its own, as in Node.
    const more = /^\.\.\. \d+ more items?$/.test(plain[plain.length - 1] || '') ? items.length - 1 : items.length;
    if (more > 6 && plain.slice(0, more).every((s) => s.length <= 16 && !s.includes('\n'))) {
      // Many short items: pack them into lines, as Node groups array output.
      const lines = [];
      let line = '';
      let width = 0;
      items.slice(0, more).forEach((s, i) => {
        const w = plain[i].length + 2;
        if (width > 0 && width + w > this.o.breakLength - 2) {
          lines.push(line);
          line = '';
          width = 0;
        }
        line += (width ? ' ' : '') + s + (i < items.length - 1 ? ',' : '');
        width += w;
      });
      lines.push(line);
      if (more < items.length) lines.push(items[more]);
      return `${open}\n${lines.map((l) => '  ' + l).join('\n')}\n${close}`;
    }
    const body = items.map((s) => '  ' + s.split('\n').join('\n  ')).join(',\n');
    return `${open}\n${body}\n${close}`;
  }
}

export function inspect(value, opts) {
  return new Inspector(opts || {}).fmt(value, 0);
}

/// console.log-style formatting: strings as they are, other values inspected, printf-like %s %d %i %f %j %o %O %%.
export function format(...args) {
  let out = '';
  let i = 0;
  if (typeof args[0] === 'string' && args.length > 1 && args[0].includes('%')) {
    const f = args[0];
    i = 1;
    for (let j = 0; j < f.length; j++) {
      if (f[j] === '%' && j + 1 < f.length) {
        const c = f[j + 1];
        if (c === '%') {
          out += '%';
          j++;
          continue;
        }
        if ('sdifjoOc'.includes(c)) {
          j++;
          if (c === 'c') {
            i++;
            continue;
          }
          if (i >= args.length) {
            out += '%' + c;
            continue;
          }
          const a = args[i++];
          if (c === 's') out += typeof a === 'string' ? a : inspect(a, { depth: 1 });
          else if (c === 'd' || c === 'i') out += typeof a === 'bigint' ? a + 'n' : String(c === 'i' ? parseInt(a) : Number(a));
          else if (c === 'f') out += String(parseFloat(a));
          else if (c === 'j') {
            try {
              out += JSON.stringify(a);
            } catch {
              out += '[Circular]';
            }
          } else out += inspect(a, { depth: c === 'O' ? 2 : 4 });
          continue;
        }
      }
      out += f[j];
    }
  } else if (args.length > 0) {
    out = typeof args[0] === 'string' ? args[0] : inspect(args[0]);
    i = 1;
  }
  for (; i < args.length; i++) out += ' ' + (typeof args[i] === 'string' ? args[i] : inspect(args[i]));
  return out;
}

export default { inspect, format };

/// console.table's text, as Node's lib/internal/console/constructor.js and cli_table.js draw it: an index
/// column, one column per key of the rows (in order of first appearance, or `properties`), and `Values`
/// for rows that are not objects; cells inspected on one line. Returns undefined when `data` is not an
/// object (console.table then logs it as console.log would).
export function table(data, properties) {
  if (data === null || typeof data !== 'object') return undefined;
  const cell = (v) => new Inspector({ depth: 0, breakLength: Infinity }).fmt(v, 0);
  let indexHead = '(index)';
  let rows; // [index text, value]
  if (data instanceof Map) {
    indexHead = '(iteration index)';
    rows = [...data].map(([k, v], i) => [String(i), v, k]);
  } else if (data instanceof Set) {
    indexHead = '(iteration index)';
    rows = [...data].map((v, i) => [String(i), v]);
  } else {
    rows = Object.keys(data).map((k) => [k, data[k]]);
  }
  const keys = [];
  const seen = new Set();
  let values = false;
  for (const [, v] of data instanceof Map ? [] : rows) {
    if (v !== null && (typeof v === 'object' || typeof v === 'function')) {
      for (const k of Object.keys(v)) {
        if (!seen.has(k)) {
          seen.add(k);
          keys.push(k);
        }
      }
    } else {
      values = true;
    }
  }
  const cols = Array.isArray(properties) ? properties.map(String) : keys;
  const isMap = data instanceof Map;
  const head = [indexHead, ...(isMap ? ['Key'] : []), ...cols, ...(values || isMap ? ['Values'] : [])];
  const body = rows.map(([i, v, k]) => {
    const obj = v !== null && (typeof v === 'object' || typeof v === 'function');
    const r = [i];
    if (isMap) r.push(cell(k));
    for (const c of cols) r.push(obj && Object.prototype.hasOwnProperty.call(v, c) ? cell(v[c]) : '');
    if (values || isMap) r.push(obj && !isMap ? '' : cell(v));
    return r;
  });
  const width = (s) => [...s].length;
  const widths = head.map((h, c) => Math.max(width(h), ...body.map((r) => width(r[c]))));
  const line = (l, m, r) => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const row = (cells) => '│ ' + cells.map((s, c) => s + ' '.repeat(widths[c] - width(s))).join(' │ ') + ' │';
  return [line('┌', '┬', '┐'), row(head), line('├', '┼', '┤'), ...body.map(row), line('└', '┴', '┘')].join('\n');
}
