// The shell-like commands of rumpjs — the 2012 demo's interactive commands — written once and shared by
// the REPL (`.ls -l /ffs`), the one-shot CLI (`rumpjs ls IMAGE /`) and the web page. Each command takes
// its arguments and an `io` ({ out(text | Uint8Array), err(text), columns, commands }) and returns an exit
// status (`commands`: the caller's own commands, { name: { usage, help } }, that help NAME describes).
// They reach the kernel only through its `fs`, `path` and `rump` objects. Their command line is read by
// cmdline.js (OPTION_SPECS holds every command's options), find is find.js, and what they print of a
// file (modes, sizes, times) is format.js's.

import fs from 'fs';
import path from 'path';
import { inspect } from './inspect.js';
import { S_IFMT, strmode, flagsString, humanize, statTime, lsDate, major, minor } from './format.js';
import { UsageError, tokenize, getopt, parseOptions, errLine, sortNames } from './cmdline.js';
import { find } from './find.js';

export { UsageError, tokenize, getopt };

const TYPE_NAME = {
  0o010000: 'fifo', 0o020000: 'character special file', 0o040000: 'directory', 0o060000: 'block special file',
  0o100000: 'regular file', 0o120000: 'symbolic link', 0o140000: 'socket',
};

// ---------------------------------------------------------------- helpers

function text(s) {
  return s.endsWith('\n') ? s : s + '\n';
}

function columns(names, width) {
  if (!width || names.length === 0) return names.map((n) => n + '\n').join('');
  const w = Math.max(...names.map((n) => n.length)) + 2;
  const cols = Math.max(1, Math.floor(width / w));
  const rows = Math.ceil(names.length / cols);
  let out = '';
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < cols; c++) {
      const i = c * rows + r;
      if (i < names.length) line += c === cols - 1 || i + rows >= names.length ? names[i] : names[i].padEnd(w);
    }
    out += line.trimEnd() + '\n';
  }
  return out;
}

// ---------------------------------------------------------------- the commands

function ls(argv, io) {
  const { opts, args } = parseOptions('ls', argv);
  const long = opts.l || opts.n || opts.o;
  const all = opts.a;
  const almost = opts.A;
  const now = Date.now();
  let status = 0;
  const targets = args.length ? args : ['.'];
  const files = [];
  const dirs = [];
  for (const t of targets) {
    try {
      const st = fs.lstatSync(t);
      if (st.isDirectory() && !opts.d) dirs.push(t);
      else if (st.isSymbolicLink() && !opts.d && !long && isDirFollow(t)) dirs.push(t);
      else files.push([t, st]);
    } catch (e) {
      io.err(errLine('ls', e, t));
      status = 1;
    }
  }
  const fmtEntries = (entries, dir) => {
    if (!long) {
      const names = entries.map(([n, st]) => decorate(n, st, opts) + '');
      return opts.i ? names.map((n, k) => `${entries[k][1].ino} ${n}\n`).join('') : columns(names, opts['1'] ? 0 : io.columns);
    }
    const rows = entries.map(([n, st]) => {
      const size = st.isCharacterDevice() || st.isBlockDevice() ? `${major(st.rdev)}, ${minor(st.rdev)}` : opts.h ? humanize(st.size) : String(st.size);
      let name = decorate(n, st, opts);
      if (st.isSymbolicLink()) {
        try {
          name += ' -> ' + fs.readlinkSync(dir === null ? n : path.join(dir, n));
        } catch {}
      }
      return [opts.i ? String(st.ino) : null, strmode(st.mode), String(st.nlink), String(st.uid), String(st.gid), opts.o ? flagsString(st.flags || 0) : null, size, lsDate(st.mtimeMs, now), name];
    });
    const widths = [];
    for (const r of rows) r.forEach((c, k) => (widths[k] = Math.max(widths[k] || 0, c === null ? 0 : c.length)));
    const right = new Set([0, 2, 6]);
    let out = '';
    for (const r of rows) {
      const cells = [];
      r.forEach((c, k) => {
        if (c === null) return;
        if (k === 8 || k === 7) cells.push(c);
        else cells.push(right.has(k) ? c.padStart(widths[k]) : c.padEnd(widths[k]));
      });
      out += cells.join(' ').replace(/^(\S+) /, '$1 ') + '\n';
    }
    return out;
  };
  if (files.length) io.out(fmtEntries(files.sort((a, b) => sortNames(a[0], b[0])), null));
  const listDir = (d, showHeader) => {
    let names;
    try {
      names = fs.readdirSync(d);
    } catch (e) {
      io.err(errLine('ls', e, d));
      status = 1;
      return;
    }
    if (all) names.push('.', '..');
    names = names.filter((n) => all || almost || !n.startsWith('.')).sort(sortNames);
    const entries = [];
    for (const n of names) {
      try {
        entries.push([n, fs.lstatSync(path.join(d, n))]);
      } catch (e) {
        io.err(errLine('ls', e, path.join(d, n)));
        status = 1;
      }
    }
    if (showHeader) io.out(`${d}:\n`);
    if (long) io.out(`total ${entries.reduce((s, [, st]) => s + (st.blocks || 0), 0)}\n`);
    io.out(fmtEntries(entries, d));
    if (opts.R) {
      for (const [n, st] of entries) {
        if (st.isDirectory() && n !== '.' && n !== '..') {
          io.out('\n');
          listDir(path.join(d, n), true);
        }
      }
    }
  };
  dirs.sort(sortNames).forEach((d, k) => {
    if (k > 0 || files.length) io.out('\n');
    listDir(d, targets.length > 1 || opts.R);
  });
  return status;
}

function isDirFollow(p) {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function decorate(name, st, opts) {
  if (!opts.F) return name;
  if (st.isDirectory()) return name + '/';
  if (st.isSymbolicLink()) return name + '@';
  if (st.isFIFO()) return name + '|';
  if (st.isSocket()) return name + '=';
  if (st.isFile() && st.mode & 0o111) return name + '*';
  return name;
}

function cat(argv, io) {
  const { args } = parseOptions('cat', argv);
  let status = 0;
  for (const f of args.length ? args : []) {
    try {
      io.out(fs.readFileSync(f));
    } catch (e) {
      io.err(errLine('cat', e, f));
      status = 1;
    }
  }
  if (!args.length) throw new UsageError('usage: cat file ...');
  return status;
}

function stat(argv, io) {
  const { opts, args } = parseOptions('stat', argv);
  if (!args.length) throw new UsageError('usage: stat [-L] [-j|--json] file ...');
  let status = 0;
  const json = [];
  for (const f of args) {
    try {
      const st = opts.L ? fs.statSync(f) : fs.lstatSync(f);
      const type = TYPE_NAME[st.mode & S_IFMT] || 'unknown';
      if (opts.j) {
        json.push(statJson(f, st, type));
        continue;
      }
      let name = f;
      if (st.isSymbolicLink()) name += ' -> ' + fs.readlinkSync(f);
      const dev = st.isCharacterDevice() || st.isBlockDevice() ? `  Device type: ${major(st.rdev)},${minor(st.rdev)}` : '';
      io.out(
        `  File: ${name}\n` +
          `  Size: ${String(st.size).padEnd(12)}Blocks: ${String(st.blocks).padEnd(10)}IO Block: ${String(st.blksize).padEnd(7)}${type}\n` +
          `Device: ${String(st.dev).padEnd(11)}Inode: ${String(st.ino).padEnd(11)}Links: ${st.nlink}${dev}\n` +
          `Access: (${(st.mode & 0o7777).toString(8).padStart(4, '0')}/${strmode(st.mode)})  Uid: ${st.uid}  Gid: ${st.gid}\n` +
          ` Flags: ${flagsString(st.flags || 0)}   Gen: ${st.gen ?? '-'}\n` +
          `Access: ${statTime(st.atimeMs)}\n` +
          `Modify: ${statTime(st.mtimeMs)}\n` +
          `Change: ${statTime(st.ctimeMs)}\n` +
          ` Birth: ${statTime(st.birthtimeMs)}\n`,
      );
    } catch (e) {
      io.err(errLine('stat', e, f));
      status = 1;
    }
  }
  if (opts.j) io.out(JSON.stringify(json, null, 2) + '\n');
  return status;
}

/// stat --json's object for one file: the numbers as lstat/stat give them, the mode also as text, the
/// times as ISO 8601.
function statJson(f, st, type) {
  const iso = (ms) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);
  return {
    path: f,
    type,
    target: st.isSymbolicLink() ? fs.readlinkSync(f) : undefined,
    size: st.size,
    blocks: st.blocks,
    blksize: st.blksize,
    dev: st.dev,
    ino: st.ino,
    nlink: st.nlink,
    rdev: st.rdev,
    mode: st.mode & 0o7777,
    modeString: strmode(st.mode),
    uid: st.uid,
    gid: st.gid,
    flags: flagsString(st.flags || 0),
    gen: st.gen ?? null,
    atime: iso(st.atimeMs),
    mtime: iso(st.mtimeMs),
    ctime: iso(st.ctimeMs),
    birthtime: iso(st.birthtimeMs),
  };
}

/// hexdump -C: offset, 16 bytes in two groups of 8, printable ASCII; runs of equal lines as '*'.
export function hexdumpBytes(bytes, base) {
  let out = '';
  let prev = null;
  let starred = false;
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, bytes.length));
    const key = Array.prototype.join.call(row, ',');
    if (row.length === 16 && key === prev) {
      if (!starred) out += '*\n';
      starred = true;
      continue;
    }
    prev = key;
    starred = false;
    let hexs = '';
    let asc = '';
    for (let i = 0; i < 16; i++) {
      if (i === 8) hexs += ' ';
      if (i < row.length) {
        hexs += row[i].toString(16).padStart(2, '0') + ' ';
        asc += row[i] >= 0x20 && row[i] < 0x7f ? String.fromCharCode(row[i]) : '.';
      } else hexs += '   ';
    }
    out += `${(base + off).toString(16).padStart(8, '0')}  ${hexs} |${asc}|\n`;
  }
  out += `${(base + bytes.length).toString(16).padStart(8, '0')}\n`;
  return out;
}

function parseCount(s, what) {
  const m = /^(0x[0-9a-f]+|[0-9]+)([kmg]?)$/i.exec(s);
  if (!m) throw new UsageError(`bad ${what}: ${s}`);
  const mul = { '': 1, k: 1024, m: 1 << 20, g: 1 << 30 }[m[2].toLowerCase()];
  return Number(m[1]) * mul;
}

function hexdump(argv, io) {
  const { opts, args } = parseOptions('hexdump', argv);
  if (args.length !== 1) throw new UsageError('usage: hexdump [-n length] [-s skip] file');
  const skip = opts.s !== undefined ? parseCount(opts.s, 'skip') : 0;
  const limit = opts.n !== undefined ? parseCount(opts.n, 'length') : 64 * 1024;
  const fd = fs.openSync(args[0], 'r');
  try {
    const buf = new Uint8Array(Math.min(limit, 16 << 20));
    const n = fs.readSync(fd, buf, 0, buf.length, skip);
    io.out(hexdumpBytes(buf.subarray(0, n), skip));
    if (opts.n === undefined && n === buf.length) io.out(`(first ${humanize(buf.length)} shown; use -n and -s for more)\n`);
  } finally {
    fs.closeSync(fd);
  }
  return 0;
}

function mountFlags(m) {
  const f = [];
  if (m.readonly) f.push('read-only');
  f.push('local');
  return f.join(', ');
}

/// The options `mount` knows, by file-system type (what the kernel's drivers and rump.mount read; anything
/// else is refused rather than ignored). ro and rw (-r, -w) go with every type.
const MOUNT_OPTIONS = {
  ffs: ['partition=P', 'cache=SIZE', 'noatime', 'force', 'overlay', 'overlayFile=FILE'],
  tmpfs: ['size=SIZE', 'inodes=N', 'mode=OCTAL', 'uid=N', 'gid=N', 'noatime'],
  kernfs: [],
};
const MOUNT_USAGE = 'usage: mount [-rw] TYPE SPEC DIR [rw] [opt[=value] ...]  (or mount [-rw] -t TYPE [-o opt,...] SPEC DIR)';

function mount(argv, io) {
  const { opts, args } = parseOptions('mount', argv);
  if (args.length === 0 && !opts.t) {
    for (const m of rump.mounts()) io.out(`${m.from} on ${m.on} type ${m.type} (${mountFlags(m)})\n`);
    return 0;
  }
  let type;
  let spec;
  let dir;
  let rest;
  if (opts.t) {
    [spec, dir, ...rest] = args;
    type = opts.t;
  } else {
    [type, spec, dir, ...rest] = args;
  }
  if (!type || !spec || !dir) throw new UsageError(MOUNT_USAGE);
  // The kernel answers ENODEV for a type it lacks, but only after an image was opened: say it first.
  const types = typeof rump.fstypes === 'function' ? rump.fstypes() : Object.keys(MOUNT_OPTIONS);
  if (!types.includes(type)) throw new UsageError(`mount: ${type}: unknown file-system type (this kernel has ${types.join(', ')})`);
  const options = {};
  // Options may follow DIR too, as words (rw, size=1m) or as flags (-o rw,noatime, -r, -w).
  const kv = opts.o ? opts.o.split(',') : [];
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    if (w === '-o') {
      if (rest[i + 1] === undefined) throw new UsageError('option requires an argument -- o');
      kv.push(...rest[++i].split(','));
    } else if (w.startsWith('-o')) kv.push(...w.slice(2).split(','));
    else if (w === '-r' || w === '-w') opts[w[1]] = 1;
    else if (w.startsWith('-')) throw new UsageError(`unknown option -- ${w.slice(1)}`);
    else kv.push(w);
  }
  const known = MOUNT_OPTIONS[type];
  for (const o of kv.filter((x) => x !== '')) {
    const i = o.indexOf('=');
    const key = i < 0 ? o : o.slice(0, i);
    if (known && !['ro', 'rdonly', 'rw'].includes(key) && !known.some((k) => k.replace(/=.*/, '') === key)) {
      const list = ['ro', 'rw'].concat(known).join(', ');
      throw new UsageError(`mount: ${key}: unknown option for ${type} (known: ${list})`);
    }
    if (i < 0) options[o] = true;
    else options[key] = o.slice(i + 1);
  }
  const ro = !!(opts.r || options.ro || options.rdonly);
  const rw = !!(opts.w || options.rw);
  if (ro && rw) throw new UsageError('mount: ro and rw together');
  delete options.ro;
  delete options.rw;
  delete options.rdonly;
  let isDev = false;
  try {
    isDev = fs.statSync(spec).isBlockDevice();
  } catch {}
  const onDisk = type !== 'tmpfs' && type !== 'kernfs';
  if (isDev) options.spec = spec;
  else if (onDisk) options.image = spec;
  const overlay = !!(options.overlay || options.overlayFile);
  if (overlay && ro) throw new UsageError('mount: overlay is a writable view of the image; not with ro');
  // A file system on a disk mounts read-only unless asked (as --image does without --rw); an overlay is
  // the writable view it asks for, the image file never written.
  options.readonly = ro || (onDisk && !rw && !overlay);
  rump.mount(type, dir, options);
  return 0;
}

function umount(argv, io) {
  const { opts, args } = parseOptions('umount', argv);
  if (args.length === 0) throw new UsageError('usage: umount [-f] DIR ...');
  for (const d of args) rump.unmount(d, opts.f ? { force: true } : undefined);
  return 0;
}

function df(argv, io) {
  const { opts, args } = parseOptions('df', argv);
  const rows = [];
  // With paths: the file systems holding them (statvfs names its mount); without: every mount.
  let targets;
  if (args.length) targets = args.map((a) => [a, null]);
  else targets = rump.mounts().map((m) => [m.on, m]);
  if (opts.t) targets = targets.filter(([, m]) => !m || opts.t.split(',').includes(m.type));
  for (const [p, mnt] of targets) {
    let s;
    try {
      s = fs.statfsSync(p);
    } catch (e) {
      if (!mnt) io.err(errLine('df', e, p));
      continue;
    }
    const m = { from: s.mntfromname || (mnt && mnt.from) || p, on: mnt ? mnt.on : mountPoint(p, s) };
    if (!opts.a && s.blocks === 0 && !args.length) continue;
    // statvfs counts blocks in fragments (f_frsize); Node's StatFs has only bsize.
    const bs = s.frsize || s.bsize;
    const size = s.blocks * bs;
    const avail = s.bavail * bs;
    const used = (s.blocks - s.bfree) * bs;
    const cap = size ? Math.round((used * 100) / (used + avail || 1)) + '%' : '-';
    if (opts.j) {
      const type = mnt ? mnt.type : s.fstypename;
      rows.push({ filesystem: m.from, type, mountedOn: m.on, size, used, avail, capacity: size ? cap : null, files: s.files, filesFree: s.ffree });
    } else if (opts.i) {
      const iused = s.files - s.ffree;
      rows.push([m.from, String(iused), String(s.ffree), s.files ? Math.round((iused * 100) / s.files) + '%' : '-', m.on]);
    } else if (opts.h) rows.push([m.from, humanize(size), humanize(used), humanize(avail), cap, m.on]);
    else rows.push([m.from, String(Math.floor(size / 1024)), String(Math.floor(used / 1024)), String(Math.floor(avail / 1024)), cap, m.on]);
  }
  if (opts.j) {
    io.out(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  const head = opts.i ? ['Filesystem', 'iused', 'ifree', '%iused', 'Mounted on'] : opts.h ? ['Filesystem', 'Size', 'Used', 'Avail', '%Cap', 'Mounted on'] : ['Filesystem', '1K-blocks', 'Used', 'Avail', '%Cap', 'Mounted on'];
  rows.unshift(head);
  const w = head.map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  for (const r of rows) io.out(r.map((c, k) => (k === 0 ? c.padEnd(w[k]) : k === r.length - 1 ? c : c.padStart(w[k]))).join(' ') + '\n');
  return 0;
}

/// The mount point of the file system holding `p`, as NetBSD's df shows it (statvfs's f_mntonname, seen
/// from the process's root as dostatvfs shows it to a chrooted process): the highest directory above
/// p's real path on the same file system. statfs's mntonname when the walk cannot be made.
function mountPoint(p, s) {
  try {
    let cur = fs.realpathSync(p);
    const dev = fs.statSync(cur).dev;
    while (cur !== '/') {
      const up = path.dirname(cur);
      if (fs.statSync(up).dev !== dev) break;
      cur = up;
    }
    return cur;
  } catch {
    return s.mntonname || p;
  }
}

function dmesg(argv, io) {
  io.out(rump.dmesg());
  return 0;
}

function info(argv, io) {
  const { opts, args } = parseOptions('info', argv);
  const targets = args.length ? args : rump.mounts().filter((m) => m.type === 'ffs').map((m) => m.on);
  if (!targets.length) {
    io.err('info: no FFS is mounted; name a mount point or image\n');
    return 1;
  }
  for (const t of targets) {
    const i = rump.info(t);
    io.out(opts.j ? JSON.stringify(i, null, 2) + '\n' : text(i.text));
  }
  return 0;
}

function cd(argv, io) {
  const { args } = parseOptions('cd', argv);
  process.chdir(args[0] || '/');
  return 0;
}

function pwd(argv, io) {
  io.out(process.cwd() + '\n');
  return 0;
}

function du(argv, io) {
  const { opts, args } = parseOptions('du', argv);
  const roots = args.length ? args : ['.'];
  const maxDepth = opts.s ? 0 : opts.d !== undefined ? Number(opts.d) : Infinity;
  const show = (bytes, p) => io.out(`${opts.h ? humanize(bytes) : Math.ceil(bytes / 1024)}\t${p}\n`);
  let status = 0;
  for (const r of roots) {
    const seen = new Set();
    const total = (p, st, depth) => {
      const key = `${st.dev}:${st.ino}`;
      let bytes = 0;
      if (!(st.nlink > 1 && !st.isDirectory() && seen.has(key))) bytes = st.blocks * 512;
      seen.add(key);
      if (st.isDirectory()) {
        let names = [];
        try {
          names = fs.readdirSync(p).sort(sortNames);
        } catch (e) {
          io.err(errLine('du', e, p));
          status = 1;
        }
        for (const n of names) {
          const c = path.join(p, n);
          let cst;
          try {
            cst = fs.lstatSync(c);
          } catch (e) {
            io.err(errLine('du', e, c));
            status = 1;
            continue;
          }
          if (cst.isDirectory() && seen.has(`${cst.dev}:${cst.ino}`)) continue;
          bytes += total(c, cst, depth + 1);
        }
        if (depth <= maxDepth) show(bytes, p);
      } else if (opts.a && depth <= maxDepth && depth > 0) show(bytes, p);
      else if (depth === 0) show(bytes, p);
      return bytes;
    };
    try {
      total(r, fs.lstatSync(r), 0);
    } catch (e) {
      io.err(errLine('du', e, r));
      status = 1;
    }
  }
  return status;
}

function tree(argv, io) {
  const { opts, args } = parseOptions('tree', argv);
  const root = args[0] || '.';
  const maxDepth = opts.L !== undefined ? Number(opts.L) : Infinity;
  let dirs = 0;
  let files = 0;
  io.out(root + '\n');
  const seen = new Set();
  const go = (p, prefix, depth) => {
    let names;
    try {
      names = fs.readdirSync(p).filter((n) => opts.a || !n.startsWith('.')).sort(sortNames);
    } catch (e) {
      io.out(prefix + '[' + errLine('tree', e).trim() + ']\n');
      return;
    }
    const entries = [];
    for (const n of names) {
      try {
        entries.push([n, fs.lstatSync(path.join(p, n))]);
      } catch {}
    }
    const shown = opts.d ? entries.filter(([, st]) => st.isDirectory()) : entries;
    shown.forEach(([n, st], k) => {
      const last = k === shown.length - 1;
      let label = n;
      if (st.isSymbolicLink()) {
        try {
          label += ' -> ' + fs.readlinkSync(path.join(p, n));
        } catch {}
      }
      io.out(`${prefix}${last ? '└── ' : '├── '}${label}\n`);
      if (st.isDirectory()) {
        dirs++;
        const key = `${st.dev}:${st.ino}`;
        if (depth + 1 < maxDepth && !seen.has(key)) {
          seen.add(key);
          go(path.join(p, n), prefix + (last ? '    ' : '│   '), depth + 1);
        }
      } else files++;
    });
  };
  go(root, '', 0);
  io.out(`\n${dirs} director${dirs === 1 ? 'y' : 'ies'}${opts.d ? '' : `, ${files} file${files === 1 ? '' : 's'}`}\n`);
  return 0;
}

function mkdir(argv, io) {
  const { opts, args } = parseOptions('mkdir', argv);
  if (!args.length) throw new UsageError('usage: mkdir [-p] [-m mode] dir ...');
  const mode = opts.m !== undefined ? parseInt(opts.m, 8) : 0o777;
  for (const d of args) fs.mkdirSync(d, { recursive: !!opts.p, mode });
  return 0;
}

function rm(argv, io) {
  const { opts, args } = parseOptions('rm', argv);
  if (!args.length) throw new UsageError('usage: rm [-rf] file ...');
  let status = 0;
  for (const f of args) {
    try {
      if (opts.d && fs.lstatSync(f).isDirectory()) fs.rmdirSync(f);
      else fs.rmSync(f, { recursive: !!(opts.r || opts.R), force: !!opts.f });
    } catch (e) {
      io.err(errLine('rm', e, f));
      status = 1;
    }
  }
  return status;
}

function rmdir(argv, io) {
  const { args } = parseOptions('rmdir', argv);
  for (const d of args) fs.rmdirSync(d);
  return 0;
}

function cp(argv, io) {
  const { opts, args } = parseOptions('cp', argv);
  if (args.length < 2) throw new UsageError('usage: cp [-R] [-p] source ... target');
  const target = args.pop();
  let intoDir = false;
  try {
    intoDir = fs.statSync(target).isDirectory();
  } catch {}
  if (args.length > 1 && !intoDir) throw new UsageError(`cp: ${target} is not a directory`);
  for (const s of args) {
    const dst = intoDir ? path.join(target, path.basename(s)) : target;
    if (opts.r || opts.R) fs.cpSync(s, dst, { recursive: true, preserveTimestamps: !!opts.p, verbatimSymlinks: true });
    else fs.copyFileSync(s, dst);
  }
  return 0;
}

function mv(argv, io) {
  const { args } = parseOptions('mv', argv);
  if (args.length < 2) throw new UsageError('usage: mv source ... target');
  const target = args.pop();
  let intoDir = false;
  try {
    intoDir = fs.statSync(target).isDirectory();
  } catch {}
  for (const s of args) fs.renameSync(s, intoDir ? path.join(target, path.basename(s)) : target);
  return 0;
}

function ln(argv, io) {
  const { opts, args } = parseOptions('ln', argv);
  if (args.length !== 2) throw new UsageError('usage: ln [-s] [-f] target link');
  if (opts.f) fs.rmSync(args[1], { force: true });
  if (opts.s) fs.symlinkSync(args[0], args[1]);
  else fs.linkSync(args[0], args[1]);
  return 0;
}

function touch(argv, io) {
  const { args } = parseOptions('touch', argv);
  const now = new Date();
  for (const f of args) {
    if (!fs.existsSync(f)) fs.closeSync(fs.openSync(f, 'a'));
    fs.utimesSync(f, now, now);
  }
  return 0;
}

function chmod(argv, io) {
  const { args } = parseOptions('chmod', argv);
  if (args.length < 2) throw new UsageError('usage: chmod octal-mode file ...');
  const mode = parseInt(args[0], 8);
  if (Number.isNaN(mode)) throw new UsageError('chmod: octal mode expected');
  for (const f of args.slice(1)) fs.chmodSync(f, mode);
  return 0;
}

function chown(argv, io) {
  const { opts, args } = parseOptions('chown', argv);
  if (args.length < 2) throw new UsageError('usage: chown uid[:gid] file ...');
  const [u, g] = args[0].split(':');
  for (const f of args.slice(1)) {
    const st = fs.lstatSync(f);
    const uid = u === '' ? st.uid : Number(u);
    const gid = g === undefined || g === '' ? st.gid : Number(g);
    if (opts.h) fs.lchownSync(f, uid, gid);
    else fs.chownSync(f, uid, gid);
  }
  return 0;
}

function echo(argv, io) {
  let args = argv;
  let nl = true;
  if (args[0] === '-n') {
    nl = false;
    args = args.slice(1);
  }
  io.out(args.join(' ') + (nl ? '\n' : ''));
  return 0;
}

function readlink(argv, io) {
  const { opts, args } = parseOptions('readlink', argv);
  for (const f of args) io.out((opts.f ? fs.realpathSync(f) : fs.readlinkSync(f)) + '\n');
  return 0;
}

function sha256(argv, io) {
  const { args } = parseOptions('sha256', argv);
  let status = 0;
  for (const f of args) {
    try {
      io.out(`SHA256 (${f}) = ${crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex')}\n`);
    } catch (e) {
      io.err(errLine('sha256', e, f));
      status = 1;
    }
  }
  return status;
}

function get(argv, io) {
  const { args } = parseOptions('get', argv);
  if (args.length !== 2) throw new UsageError('usage: get KERNEL-PATH HOST-PATH');
  let dst = args[1];
  // Into an existing host directory, under the source's own name (as cp does).
  if (rump.host.stat) {
    try {
      if (rump.host.stat(dst).isDirectory()) dst = path.join(dst, path.basename(path.resolve(args[0])) || 'root');
    } catch {}
  }
  const r = rump.host.copyOut(args[0], dst);
  if (r && typeof r === 'object' && r.files !== undefined) io.out(`${r.files} file(s), ${r.bytes} bytes copied\n`);
  return 0;
}

function put(argv, io) {
  const { args } = parseOptions('put', argv);
  if (args.length !== 2) throw new UsageError('usage: put HOST-PATH KERNEL-PATH');
  let dst = args[1];
  try {
    // Into an existing directory, under the source's own name (as cp does).
    if (fs.statSync(dst).isDirectory()) dst = path.join(dst, path.basename(args[0].replace(/\/+$/, '')));
  } catch {}
  const r = rump.host.copyIn(args[0], dst);
  if (r && typeof r === 'object' && r.files !== undefined) io.out(`${r.files} file(s), ${r.bytes} bytes copied\n`);
  return 0;
}

function help(argv, io) {
  const names = Object.keys(COMMANDS).sort();
  if (argv.length) {
    for (const n of argv) {
      const name = n.replace(/^\./, '');
      const c = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : (io.commands || {})[name];
      // The REPL, the CLI and the web page may have commands of their own (the REPL's .load and .exit)
      // that this table does not hold: an unknown name is not said not to exist.
      if (c) io.out(`${c.usage}\n    ${c.help}\n`);
      else io.out(`help: ${name}: not one of the shell commands (help lists them; the REPL's own commands, such as .load, are in its .help)\n`);
    }
    return 0;
  }
  const w = Math.max(...names.map((n) => COMMANDS[n].usage.length));
  for (const n of names) io.out(`  ${COMMANDS[n].usage.padEnd(w)}  ${COMMANDS[n].help}\n`);
  return 0;
}

/// The command table: name → { run, usage, help, writes }.
export const COMMANDS = {
  ls: { run: ls, usage: 'ls [-laAdiRhnoF1] [path ...]', help: 'list directory contents (-l long, -o with file flags, -i inode numbers)' },
  cd: { run: cd, usage: 'cd [dir]', help: 'change the working directory (default /)' },
  pwd: { run: pwd, usage: 'pwd', help: 'print the working directory' },
  cat: { run: cat, usage: 'cat file ...', help: 'print files' },
  stat: { run: stat, usage: 'stat [-L] [-j|--json] file ...', help: 'inode number, type, mode, owner, size, times, flags' },
  hexdump: { run: hexdump, usage: 'hexdump [-n len] [-s skip] file', help: 'bytes of a file (or block device) in hex and ASCII, as hexdump -C' },
  mount: { run: mount, usage: 'mount [-rw] [TYPE SPEC DIR [rw] [opt=val ...]]', help: 'list mounts, or mount a file system (SPEC: a host image, a /dev node, or tmpfs); an image or device read-only unless rw (-w, -o rw)' },
  umount: { run: umount, usage: 'umount [-f] dir ...', help: 'unmount file systems' },
  df: { run: df, usage: 'df [-hia] [-j|--json] [-t type] [path ...]', help: 'space and inodes of mounted file systems' },
  dmesg: { run: dmesg, usage: 'dmesg', help: 'the kernel message buffer' },
  info: { run: info, usage: 'info [-j] [dir ...]', help: 'what an FFS superblock and partition table say (fsstat + disklabel)' },
  find: { run: find, usage: 'find [path ...] [expression]', help: 'walk a tree: -name -iname -path -type -size -mtime -newer -user -group -perm -links -inum -empty -maxdepth -mindepth ! -o ( ) -print -ls' },
  du: { run: du, usage: 'du [-ashk] [-d depth] [path ...]', help: 'disk usage in KiB (hard links counted once)' },
  tree: { run: tree, usage: 'tree [-ad] [-L level] [dir]', help: 'a directory tree' },
  mkdir: { run: mkdir, usage: 'mkdir [-p] [-m mode] dir ...', help: 'make directories', writes: true },
  rm: { run: rm, usage: 'rm [-rfd] file ...', help: 'remove files', writes: true },
  rmdir: { run: rmdir, usage: 'rmdir dir ...', help: 'remove empty directories', writes: true },
  cp: { run: cp, usage: 'cp [-Rp] source ... target', help: 'copy files inside the kernel', writes: true },
  mv: { run: mv, usage: 'mv source ... target', help: 'rename files', writes: true },
  ln: { run: ln, usage: 'ln [-sf] target link', help: 'make hard or symbolic links', writes: true },
  touch: { run: touch, usage: 'touch file ...', help: 'create files or set their times to now', writes: true },
  chmod: { run: chmod, usage: 'chmod octal-mode file ...', help: 'change modes', writes: true },
  chown: { run: chown, usage: 'chown [-h] uid[:gid] file ...', help: 'change owners', writes: true },
  echo: { run: echo, usage: 'echo [-n] word ...', help: 'print words' },
  readlink: { run: readlink, usage: 'readlink [-f] link ...', help: 'print symbolic link targets (-f: canonical path)' },
  sha256: { run: sha256, usage: 'sha256 file ...', help: 'SHA-256 digests of files' },
  get: { run: get, usage: 'get KERNEL-PATH HOST-PATH', help: 'copy a file or tree out to the host (needs --allow-host)' },
  put: { run: put, usage: 'put HOST-PATH KERNEL-PATH', help: 'copy a host file or tree in (needs --allow-host and a writable mount)', writes: true },
  help: { run: help, usage: 'help [command]', help: 'this list' },
};

/// Runs one command line. Returns the exit status; errors become messages on io.err, never throws.
export function execute(line, io) {
  let words;
  try {
    words = Array.isArray(line) ? line : tokenize(line);
  } catch (e) {
    io.err(`${e.message}\n`);
    return 2;
  }
  if (!words.length) return 0;
  const name = words[0].replace(/^\./, '');
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`${name}: unknown command (try help)\n`);
    return 127;
  }
  try {
    return cmd.run(words.slice(1), io) || 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(e.message.startsWith('usage') ? `${e.message}\n` : `${name}: ${e.message.replace(new RegExp('^' + name + ': '), '')}\n`);
      return 2;
    }
    io.err(errLine(name, e, e && e.path));
    return 1;
  }
}

/// Runs a command line collecting its output as text (for the REPL and the web page). Byte output is
/// decoded as UTF-8; at most `limit` bytes are kept. `opts`: { columns, limit, commands }.
export function run(line, opts) {
  const limit = (opts && opts.limit) || 4 << 20;
  let out = '';
  let err = '';
  let truncated = false;
  const dec = new TextDecoder();
  const add = (s) => {
    if (out.length >= limit) {
      truncated = true;
      return;
    }
    out += typeof s === 'string' ? s : dec.decode(s.length > limit ? s.subarray(0, limit) : s);
  };
  // opts.commands: { name: { usage, help } } of the caller's own commands, for help NAME.
  const status = execute(line, { out: add, err: (s) => (err += s), columns: (opts && opts.columns) || 0, commands: opts && opts.commands });
  if (truncated) out += `\n[output truncated at ${humanize(limit)}]\n`;
  return { status, out, err };
}

export const names = Object.keys(COMMANDS);
export default { COMMANDS, execute, run, tokenize, getopt, names, inspect };
