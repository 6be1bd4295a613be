// find(1): a walk of each tree with an expression of primaries and operators (! -o -a and parentheses),
// as the shell-like commands run it (commands.js's table holds it as `find`).

import fs from 'fs';
import path from 'path';
import { UsageError, FIND_TAKES_VALUE, errLine, sortNames } from './cmdline.js';
import { S_IFMT, FLAG_NAMES, strmode, lsDate, childPath } from './format.js';

/// Walks `root` depth first (pre-order), calling visit(path, stats, depth); children sorted by name.
/// Does not follow symbolic links; never enters a directory twice (corrupt images can loop).
function walk(root, visit, errs, maxDepth) {
  const seen = new Set();
  const go = (p, st, depth) => {
    if (visit(p, st, depth) === false) return;
    if (!st.isDirectory() || depth >= maxDepth) return;
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    let names;
    try {
      names = fs.readdirSync(p).sort(sortNames);
    } catch (e) {
      errs(e, p);
      return;
    }
    for (const n of names) {
      const c = childPath(p, n);
      let cst;
      try {
        cst = fs.lstatSync(c);
      } catch (e) {
        errs(e, c);
        continue;
      }
      go(c, cst, depth + 1);
    }
  };
  go(root, fs.lstatSync(root), 0);
}

function globToRegExp(glob, icase) {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const j = glob.indexOf(']', i + 2);
      if (j < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, j);
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += '[' + cls.replace(/\\/g, '\\\\') + ']';
        i = j;
      }
    } else if (c === '\\' && i + 1 < glob.length) re += '\\' + glob[++i];
    else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(re + '$', icase ? 'is' : 's');
}

/// find's numeric argument: "+N" more than, "-N" less than, "N" exactly.
function cmpNum(spec, value) {
  if (spec.startsWith('+')) return value > Number(spec.slice(1));
  if (spec.startsWith('-')) return value < Number(spec.slice(1));
  return value === Number(spec);
}

export function find(argv, io) {
  let i = 0;
  const roots = [];
  while (i < argv.length && !argv[i].startsWith('-') && argv[i] !== '!' && argv[i] !== '(') roots.push(argv[i++]);
  if (!roots.length) roots.push('.');
  const toks = argv.slice(i);
  let pos = 0;
  let maxDepth = Infinity;
  let minDepth = 0;
  let hasAction = false;
  const now = Date.now();
  const peek = () => toks[pos];
  const next = (what) => {
    if (pos >= toks.length) throw new UsageError(`find: ${what} needs an argument`);
    return toks[pos++];
  };
  // expr := or ; or := and ('-o' and)* ; and := not (['-a'] not)* ; not := ('!'|'-not') not | primary
  const parseOr = () => {
    let l = parseAnd();
    while (peek() === '-o' || peek() === '-or') {
      pos++;
      const r = parseAnd();
      const a = l;
      l = (p, st) => a(p, st) || r(p, st);
    }
    return l;
  };
  const parseAnd = () => {
    let l = parseNot();
    while (pos < toks.length && peek() !== '-o' && peek() !== '-or' && peek() !== ')') {
      if (peek() === '-a' || peek() === '-and') pos++;
      const r = parseNot();
      const a = l;
      l = (p, st) => a(p, st) && r(p, st);
    }
    return l;
  };
  const parseNot = () => {
    if (peek() === '!' || peek() === '-not') {
      pos++;
      const e = parseNot();
      return (p, st) => !e(p, st);
    }
    return parsePrimary();
  };
  const parsePrimary = () => {
    const t = next('expression');
    // A primary that takes a value (OPTION_SPECS.find) has it here.
    const arg = FIND_TAKES_VALUE.has(t) ? next(t) : undefined;
    switch (t) {
      case '(': {
        const e = parseOr();
        if (next(')') !== ')') throw new UsageError('find: missing )');
        return e;
      }
      case '-name':
      case '-iname': {
        const re = globToRegExp(arg, t === '-iname');
        return (p) => re.test(path.basename(p));
      }
      case '-path':
      case '-ipath': {
        const re = globToRegExp(arg, t === '-ipath');
        return (p) => re.test(p);
      }
      case '-type': {
        const ty = arg;
        const want = { f: 0o100000, d: 0o040000, l: 0o120000, p: 0o010000, c: 0o020000, b: 0o060000, s: 0o140000 }[ty];
        if (want === undefined) throw new UsageError(`find: -type: ${ty}: unknown type`);
        return (p, st) => (st.mode & S_IFMT) === want;
      }
      case '-size': {
        const m = /^([+-]?)(\d+)([ckMG]?)$/.exec(arg);
        if (!m) throw new UsageError('find: -size: bad size');
        const unit = { '': 512, c: 1, k: 1024, M: 1 << 20, G: 1 << 30 }[m[3]];
        return (p, st) => cmpNum(m[1] + m[2], Math.ceil(st.size / unit));
      }
      case '-mtime':
      case '-atime':
      case '-ctime': {
        const n = arg;
        const f = t.slice(1, 2) + 'timeMs';
        return (p, st) => cmpNum(n, Math.floor((now - st[f]) / 86400000));
      }
      case '-mmin': {
        const n = arg;
        return (p, st) => cmpNum(n, Math.ceil((now - st.mtimeMs) / 60000));
      }
      case '-newer': {
        const ref = fs.statSync(arg).mtimeMs;
        return (p, st) => st.mtimeMs > ref;
      }
      case '-user':
      case '-uid': {
        const n = arg;
        return (p, st) => cmpNum(n, st.uid);
      }
      case '-group':
      case '-gid': {
        const n = arg;
        return (p, st) => cmpNum(n, st.gid);
      }
      case '-links': {
        const n = arg;
        return (p, st) => cmpNum(n, st.nlink);
      }
      case '-inum': {
        const n = arg;
        return (p, st) => cmpNum(n, st.ino);
      }
      case '-perm': {
        const s = arg;
        const any = s.startsWith('/') || s.startsWith('+');
        const all = s.startsWith('-');
        const m = parseInt(any || all ? s.slice(1) : s, 8);
        if (Number.isNaN(m)) throw new UsageError('find: -perm: octal mode expected');
        return (p, st) => (any ? (st.mode & m) !== 0 : all ? (st.mode & m) === m : (st.mode & 0o7777) === m);
      }
      case '-flags': {
        const s = arg;
        const bits = s.split(',').reduce((acc, n) => acc | (FLAG_NAMES.find(([, fn]) => fn === n) || [0])[0], 0);
        return (p, st) => ((st.flags || 0) & bits) === bits;
      }
      case '-empty':
        return (p, st) => (st.isDirectory() ? fs.readdirSync(p).length === 0 : st.isFile() && st.size === 0);
      case '-maxdepth':
        maxDepth = Number(arg);
        return () => true;
      case '-mindepth':
        minDepth = Number(arg);
        return () => true;
      case '-true':
        return () => true;
      case '-false':
        return () => false;
      case '-print':
        hasAction = true;
        return (p) => (io.out(p + '\n'), true);
      case '-print0':
        hasAction = true;
        return (p) => (io.out(p + '\0'), true);
      case '-ls':
        hasAction = true;
        return (p, st) => {
          let name = p;
          if (st.isSymbolicLink()) name += ' -> ' + fs.readlinkSync(p);
          io.out(`${String(st.ino).padStart(7)} ${String(Math.ceil(st.blocks / 2)).padStart(6)} ${strmode(st.mode)} ${String(st.nlink).padStart(3)} ${String(st.uid).padEnd(8)} ${String(st.gid).padEnd(8)} ${String(st.size).padStart(9)} ${lsDate(st.mtimeMs, now)} ${name}\n`);
          return true;
        };
      default:
        throw new UsageError(`find: ${t}: unknown primary or operator`);
    }
  };
  const expr = toks.length ? parseOr() : () => true;
  if (pos < toks.length) throw new UsageError(`find: unexpected ${toks[pos]}`);
  let status = 0;
  const errs = (e, p) => {
    io.err(errLine('find', e, p));
    status = 1;
  };
  for (const r of roots) {
    try {
      walk(r, (p, st, depth) => {
        if (depth >= minDepth && depth <= maxDepth) {
          const ok = expr(p, st);
          if (ok && !hasAction) io.out(p + '\n');
        }
        return depth < maxDepth;
      }, errs, maxDepth);
    } catch (e) {
      errs(e, r);
    }
  }
  return status;
}
