// How the shell-like commands (commands.js, find.js) read their command line and say what went wrong:
// shell-like words, getopt(3), the one table of every command's options, a usage error, the error line
// a command prints, and the order names are listed in.

/// A wrong command line: its message is printed as it is (a usage line) or after the command's name.
export class UsageError extends Error {}

/// Splits a command line into words: quotes ('…', "…") and backslash escapes as a shell does.
export function tokenize(line) {
  const words = [];
  let cur = null;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (cur !== null) words.push(cur);
      cur = null;
      i++;
    } else if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) throw new UsageError('unterminated quote');
      cur = (cur ?? '') + line.slice(i + 1, j);
      i = j + 1;
    } else if (c === '"') {
      let s = '';
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) i++;
        s += line[i++];
      }
      if (i >= line.length) throw new UsageError('unterminated quote');
      cur = (cur ?? '') + s;
      i++;
    } else if (c === '\\' && i + 1 < line.length) {
      cur = (cur ?? '') + line[i + 1];
      i += 2;
    } else {
      cur = (cur ?? '') + c;
      i++;
    }
  }
  if (cur !== null) words.push(cur);
  return words;
}

/// getopt(3): `spec` lists flag letters, a letter followed by ':' takes a value. Returns { opts, args }.
export function getopt(argv, spec) {
  const opts = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    // --json, for scripts: the -j of the commands that print JSON.
    if (a === '--json' && spec.includes('j')) {
      opts.j = (opts.j || 0) + 1;
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const ch = a[j];
      const k = spec.indexOf(ch);
      if (k < 0) throw new UsageError(`unknown option -- ${ch}`);
      if (spec[k + 1] === ':') {
        const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`option requires an argument -- ${ch}`);
        opts[ch] = v;
        break;
      }
      opts[ch] = (opts[ch] || 0) + 1;
    }
  }
  return { opts, args: argv.slice(i) };
}

/// The options of every command, in one table: each getopt(3) spec (a letter followed by ':' takes a
/// value), and find's primaries that take a value. The commands read their options only through it
/// (parseOptions() below, find.js's parser), and the one-shot CLI parses this literal out of the
/// embedded source (runtime's tools.rs) to tell an option's value from the IMAGE word: it stays plain
/// JSON, and ends at the first line that is '};'.
export const OPTION_SPECS = {
  "getopt": {
    "ls": "laAdiRhnoF1",
    "cat": "",
    "stat": "Lj",
    "hexdump": "n:s:C",
    "mount": "rt:o:w",
    "umount": "f",
    "df": "hikat:j",
    "info": "j",
    "cd": "",
    "du": "ashkd:x",
    "tree": "aL:dl",
    "mkdir": "pm:",
    "rm": "rRfd",
    "rmdir": "",
    "cp": "rRp",
    "mv": "f",
    "ln": "sf",
    "touch": "c",
    "chmod": "h",
    "chown": "h",
    "readlink": "f",
    "sha256": "",
    "get": "",
    "put": ""
  },
  "find": [
    "-name", "-iname", "-path", "-ipath", "-type", "-size", "-mtime", "-atime", "-ctime", "-mmin", "-newer",
    "-user", "-uid", "-group", "-gid", "-links", "-inum", "-perm", "-flags", "-maxdepth", "-mindepth"
  ]
};
/// find's primaries that take a value.
export const FIND_TAKES_VALUE = new Set(OPTION_SPECS.find);

/// A command's options, parsed with its spec in OPTION_SPECS.
export function parseOptions(name, argv) {
  const spec = OPTION_SPECS.getopt[name];
  if (spec === undefined) throw new Error(`cmdline.js: no OPTION_SPECS entry for ${name}`);
  return getopt(argv, spec);
}

/// "ls: /x: No such file or directory" from an errno-carrying error.
export function errLine(cmd, e, p) {
  if (e && e.code && typeof e.message === 'string') {
    let m = e.message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+ '.*'$/, '');
    m = m.charAt(0).toUpperCase() + m.slice(1);
    return `${cmd}: ${p !== undefined ? p + ': ' : ''}${m}\n`;
  }
  return `${cmd}: ${p !== undefined ? p + ': ' : ''}${e && e.message ? e.message : String(e)}\n`;
}

/// Names in byte order, as ls and find list them.
export function sortNames(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}
