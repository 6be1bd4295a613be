// The page: the kernel runs in worker.js (so a picked or dropped image is read block by block); this
// shows its boot log and mounts, runs console lines (commands.js, or JavaScript in the worker's engine),
// browses files. ?image=URL mounts that image on /ffs instead of the demo image; &run=COMMAND runs one
// console line once it is mounted.
import { strmode, humanize } from './lib/format.js';

const $ = (id) => document.getElementById(id);
// The worker index.html started, already booting: its reply is request 0.
const { worker, early } = window.rumpjsKernel;
const waiting = new Map();
let nextId = 1;
const booted = new Promise((resolve, reject) => waiting.set(0, { resolve, reject }));
worker.onmessage = ({ data }) => {
  if (data.log !== undefined) {
    $('log').textContent += data.log + '\n';
    return;
  }
  const w = waiting.get(data.id);
  waiting.delete(data.id);
  if (data.error !== undefined) w.reject(Object.assign(new Error(data.error), { code: data.code }));
  else w.resolve(data.value);
};
// A Worker that fails to load or throws outside a request: its error in the console, every request failed.
worker.onerror = (e) => {
  say(`the kernel's worker failed: ${e.message || 'could not load worker.js'}`, 'err');
  for (const w of waiting.values()) w.reject(new Error('the kernel worker failed'));
  waiting.clear();
};
for (const e of early.splice(0)) (e.type === 'error' ? worker.onerror : worker.onmessage)(e);
const call = (op, args = {}) => new Promise((resolve, reject) => {
  const id = nextId++;
  waiting.set(id, { resolve, reject });
  worker.postMessage({ id, op, ...args });
});

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function say(text, cls) {
  $('output').append(el('span', text.endsWith('\n') ? text : text + '\n', cls));
  $('output').scrollTop = 1e9;
}

function showStatus({ dmesg, mounts }) {
  $('log').textContent = dmesg;
  $('mounts').tBodies[0].replaceChildren(...mounts.map((m) => {
    const tr = el('tr');
    const on = el('td');
    on.append(Object.assign(el('a', m.on), { onclick: () => browse(m.on) }));
    tr.append(el('td', m.from), on, el('td', m.type), el('td', m.readonly ? 'read-only' : 'read-write'),
      el('td', m.size === undefined ? '-' : humanize(m.size), 'num'), el('td', m.free === undefined ? '-' : humanize(m.free), 'num'));
    return tr;
  }));
}

async function runLine(mode, line) {
  say(`${mode === 'js' ? '>' : '$'} ${line}`, 'cmd');
  try {
    if (mode === 'js') say(await call('evaluate', { code: line }));
    else {
      const r = await call('run', { line, columns: 100 });
      if (r.out) say(r.out);
      if (r.err) say(r.err, 'err');
    }
  } catch (e) {
    say(e.message, 'err');
  }
  showStatus(await call('status'));
}

let mounted; // what is on /ffs: mount's arguments, for the "writable" switch to mount it again
async function mount(args, what) {
  try {
    showStatus(await call('mount', { partition: $('partition').value.trim(), writable: $('writable').checked, ...args }));
    mounted = [args, what];
    say(`mounted ${what} on /ffs`);
    await browse('/ffs');
    return true;
  } catch (e) {
    say(`${what}: ${e.message}`, 'err');
    showStatus(await call('status'));
    return false;
  }
}

async function browse(dir) {
  let list;
  try {
    list = await call('list', { dir });
  } catch (e) {
    say(e.message, 'err');
    return;
  }
  $('crumbs').textContent = dir;
  $('listing').tBodies[0].replaceChildren(...list.map((f) => {
    const p = `${dir === '/' ? '' : dir}/${f.name}`;
    const isDir = (f.mode & 0o170000) === 0o040000;
    const name = el('td');
    name.append(Object.assign(el('a', isDir ? f.name + '/' : f.name), { onclick: () => (isDir ? browse(p) : view(p)) }));
    const tr = el('tr');
    tr.append(el('td', strmode(f.mode)), el('td', `${f.uid}:${f.gid}`), el('td', String(f.size), 'num'), name);
    return tr;
  }));
}

let viewing;
async function view(path, hex = false) {
  viewing = path;
  $('viewer').hidden = false;
  $('viewer-name').textContent = path;
  try {
    if (hex) {
      const r = await call('run', { line: `hexdump -n 65536 '${path.replace(/'/g, "'\\''")}'` });
      $('viewer-body').textContent = r.out || r.err;
    } else {
      const { bytes, size } = await call('read', { path, max: 1 << 20 });
      $('viewer-body').textContent = new TextDecoder().decode(bytes) + (size > bytes.length ? `\n[first ${humanize(bytes.length)} of ${humanize(size)}]` : '');
    }
  } catch (e) {
    $('viewer-body').textContent = e.message;
  }
}
$('view-text').onclick = () => view(viewing);
$('view-hex').onclick = () => view(viewing, true);
$('viewer-download').onclick = async () => {
  const { bytes } = await call('read', { path: viewing });
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(new Blob([bytes])), download: viewing.split('/').pop() });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
};

$('command-form').onsubmit = (e) => {
  e.preventDefault();
  const line = $('command').value.trim();
  $('command').value = '';
  if (line) runLine($('mode').value, line);
};
let imageName = 'demo.img';
const open = (file) => {
  if (!file) return;
  imageName = file.name;
  mount({ image: file }, file.name);
};
// The image as the kernel has it now, changes included: for `rumpjs fsck -n`, The Sleuth Kit, a disk.
$('download-image').onclick = async () => {
  try {
    const blob = await call('image');
    const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: imageName });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    say(`${imageName}: ${humanize(blob.size)} saved`);
  } catch (e) {
    say(`download image: ${e.message}`, 'err');
  }
};
// The switch mounts the image on /ffs again: on an overlay in memory, or read-only (the changes dropped).
$('writable').onchange = () => mounted && mount(...mounted);
$('file').onchange = (e) => open(e.target.files[0]);
$('drop').ondragover = (e) => { e.preventDefault(); $('drop').classList.add('over'); };
$('drop').ondragleave = () => $('drop').classList.remove('over');
$('drop').ondrop = (e) => { e.preventDefault(); $('drop').classList.remove('over'); open(e.dataTransfer.files[0]); };

const q = new URLSearchParams(location.search);
try {
  const { ms, status } = await booted;
  showStatus(status);
  // The first prompt: the console takes lines from here on.
  $('command').disabled = $('run').disabled = false;
  $('command').placeholder = "ls -l /ffs   (or JavaScript: fs.readdirSync('/ffs'))";
  const ready = performance.now();
  document.body.dataset.promptMs = ready.toFixed(1);
  $('boot-time').textContent = `Ready in ${ready.toFixed(0)} ms from the page's request (the kernel booted in ${ms.toFixed(1)} ms).`;
  // rumpjs serve --image names the images it serves in a meta tag: [{url, on, partition?}]; the first
  // goes on /ffs (unless ?image= names another), the others on their own mount points. Without either,
  // the worker mounted the demo image as it booted (boot.js).
  const served = JSON.parse(document.querySelector('meta[name="rumpjs-images"]')?.content || '[]');
  const first = q.get('image') ? undefined : served.find((s) => s.on === '/ffs');
  const image = q.get('image') ?? first?.url;
  let ok = true;
  if (image) {
    imageName = decodeURIComponent(image.split('/').pop()) || 'image.img';
    ok = await mount({ url: image, ...(first?.partition ? { partition: first.partition } : {}) }, image);
  } else {
    mounted = [{ demo: true }, 'the demo image'];
    say('mounted the demo image on /ffs');
    await browse('/ffs');
  }
  for (const s of served.filter((x) => x.on !== '/ffs')) {
    try {
      showStatus(await call('mount', { url: s.url, on: s.on, partition: s.partition }));
      say(`mounted ${s.url} on ${s.on}`);
    } catch (e) {
      say(`${s.url}: ${e.message}`, 'err');
    }
  }
  if (ok && q.get('run')) await runLine('cmd', q.get('run'));
} catch (e) {
  say(`boot: ${e.message}`, 'err');
}
document.body.dataset.ready = 'yes';
