// fs.cpSync under Node's rules, on the kernel's tmpfs: what is copied, what is refused and with which
// code, what is left alone, the filter, dereference, preserveTimestamps, modes. Prints "cp ok".

const assert = (c, msg) => {
  if (!c) throw new Error(`assertion failed: ${msg}`);
};
const eq = (a, b, msg) => assert(a === b, `${msg}: ${JSON.stringify(a)} !== ${JSON.stringify(b)}`);
const throwsCode = (f, code, msg) => {
  try {
    f();
  } catch (e) {
    eq(e.code, code, `${msg} (${e.message})`);
    return e;
  }
  throw new Error(`${msg}: no error`);
};
const mode = (p) => fs.lstatSync(p).mode & 0o7777;
const read = (p) => fs.readFileSync(p, 'utf8');

// A tree: nested directories, modes, a symbolic link, two names of one file, a fifo.
fs.mkdirSync('/tmp/src/a/b', { recursive: true });
fs.writeFileSync('/tmp/src/top', 'top');
fs.writeFileSync('/tmp/src/a/b/deep', 'deep');
fs.writeFileSync('/tmp/src/a/skip', 'skip');
fs.chmodSync('/tmp/src/top', 0o640);
fs.chmodSync('/tmp/src/a', 0o751);
fs.symlinkSync('top', '/tmp/src/link');
fs.linkSync('/tmp/src/top', '/tmp/src/hard');
rump.sys.mkfifo('/tmp/src/fifo', 0o644);
fs.utimesSync('/tmp/src/top', 1000, 2000);

// A directory needs recursive; nothing is made.
throwsCode(() => fs.cpSync('/tmp/src', '/tmp/nr'), 'ERR_FS_EISDIR', 'directory without recursive');
assert(!fs.existsSync('/tmp/nr'), 'nothing made without recursive');

// The whole tree.
fs.cpSync('/tmp/src', '/tmp/c1', { recursive: true });
eq(read('/tmp/c1/top'), 'top', 'file contents');
eq(read('/tmp/c1/a/b/deep'), 'deep', 'nested file');
eq(mode('/tmp/c1/top'), 0o640, 'file mode');
eq(mode('/tmp/c1/a'), 0o751, 'directory mode');
eq(fs.readlinkSync('/tmp/c1/link'), 'top', 'a link is copied as a link');
assert(fs.lstatSync('/tmp/c1/fifo').isFIFO(), 'a fifo is made');
eq(mode('/tmp/c1/fifo'), mode('/tmp/src/fifo'), 'fifo mode');
assert(fs.statSync('/tmp/c1/hard').ino !== fs.statSync('/tmp/c1/top').ino, 'hard links are not kept');
eq(fs.statSync('/tmp/c1/top').nlink, 1, 'each name its own file');
assert(fs.statSync('/tmp/c1/top').mtimeMs !== 2000000, 'times are not kept unless asked');

// preserveTimestamps.
fs.cpSync('/tmp/src', '/tmp/c2', { recursive: true, preserveTimestamps: true });
eq(fs.statSync('/tmp/c2/top').mtimeMs, 2000000, 'preserveTimestamps: mtime');

// A file onto a file: replaced by default, left with force: false, refused with errorOnExist.
fs.writeFileSync('/tmp/dst', 'old');
fs.cpSync('/tmp/src/top', '/tmp/dst');
eq(read('/tmp/dst'), 'top', 'force (the default) replaces');
fs.writeFileSync('/tmp/dst', 'old');
fs.cpSync('/tmp/src/top', '/tmp/dst', { force: false });
eq(read('/tmp/dst'), 'old', 'force: false leaves it');
const e = throwsCode(
  () => fs.cpSync('/tmp/src/top', '/tmp/dst', { force: false, errorOnExist: true }),
  'ERR_FS_CP_EEXIST',
  'errorOnExist',
);
eq(e.errno, 17, 'errorOnExist errno');
eq(read('/tmp/dst'), 'old', 'errorOnExist leaves it');

// Kinds that do not fit: refused.
fs.mkdirSync('/tmp/dir');
throwsCode(() => fs.cpSync('/tmp/src/top', '/tmp/dir'), 'ERR_FS_CP_NON_DIR_TO_DIR', 'a file onto a directory');
throwsCode(
  () => fs.cpSync('/tmp/src', '/tmp/dst', { recursive: true }),
  'ERR_FS_CP_DIR_TO_NON_DIR',
  'a directory onto a file',
);

// A directory merges into one: what is there stays, its mode too.
fs.mkdirSync('/tmp/merge/a', { recursive: true, mode: 0o700 });
fs.chmodSync('/tmp/merge/a', 0o700);
fs.writeFileSync('/tmp/merge/a/mine', 'mine');
fs.cpSync('/tmp/src', '/tmp/merge', { recursive: true });
eq(read('/tmp/merge/a/mine'), 'mine', 'merge keeps what is there');
eq(read('/tmp/merge/a/b/deep'), 'deep', 'merge adds');
eq(mode('/tmp/merge/a'), 0o700, 'a directory merged into keeps its mode');

// The filter: asked about every node (source and destination paths) before it is read; false leaves
// the node and what is under it out.
const asked = [];
fs.cpSync('/tmp/src', '/tmp/c3', {
  recursive: true,
  filter: (s, d) => {
    asked.push(`${s}>${d}`);
    return !s.endsWith('/b') && !s.endsWith('/skip');
  },
});
assert(asked.includes('/tmp/src>/tmp/c3'), 'filter asked about the top');
assert(asked.includes('/tmp/src/a>/tmp/c3/a'), 'filter asked about a directory');
assert(asked.includes('/tmp/src/a/b>/tmp/c3/a/b'), 'filter asked about what it drops');
assert(!asked.some((x) => x.startsWith('/tmp/src/a/b/')), 'nothing under a dropped directory is asked');
assert(!fs.existsSync('/tmp/c3/a/b'), 'filtered directory left out');
assert(!fs.existsSync('/tmp/c3/a/skip'), 'filtered file left out');
eq(read('/tmp/c3/top'), 'top', 'the rest is copied');
fs.cpSync('/tmp/src', '/tmp/c4', { recursive: true, filter: () => false });
assert(!fs.existsSync('/tmp/c4'), 'a filtered top copies nothing');
throwsCode(
  () =>
    fs.cpSync('/tmp/src', '/tmp/c5', {
      recursive: true,
      filter: () => {
        const x = new Error('from the filter');
        x.code = 'FILTER';
        throw x;
      },
    }),
  'FILTER',
  "the filter's exception",
);

// dereference: what links point to.
fs.symlinkSync('/tmp/src/a', '/tmp/dirlink');
fs.cpSync('/tmp/dirlink', '/tmp/c6', { recursive: true, dereference: true });
assert(fs.lstatSync('/tmp/c6').isDirectory(), 'dereference copies the directory a link names');
fs.cpSync('/tmp/src/link', '/tmp/c7', { dereference: true });
assert(fs.lstatSync('/tmp/c7').isFile(), 'dereference copies the file a link names');
eq(read('/tmp/c7'), 'top', 'dereferenced contents');
fs.cpSync('/tmp/dirlink', '/tmp/c8');
eq(fs.readlinkSync('/tmp/c8'), '/tmp/src/a', 'without dereference a link stays a link');
throwsCode(() => fs.cpSync('/tmp/nonexistent', '/tmp/c9'), 'ENOENT', 'a missing source');

// Onto itself or inside itself.
throwsCode(() => fs.cpSync('/tmp/src', '/tmp/src', { recursive: true }), 'ERR_FS_CP_EINVAL', 'onto itself');
throwsCode(() => fs.cpSync('/tmp/src', '/tmp/src/in', { recursive: true }), 'ERR_FS_CP_EINVAL', 'into itself');

console.log('cp ok');
