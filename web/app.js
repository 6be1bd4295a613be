// The rumpjs web page: no framework, no build step. Every request carries the token the page was opened
// with (?token=…), as a header for API calls and in the query for download links and for format.js, the
// formatters the shell commands use too (scripts/lib/format.js), imported here as the module it is.

const token = new URLSearchParams(location.search).get('token') || '';
const { humanize, strmode, childPath, parentPath } = await import(`./format.js?token=${encodeURIComponent(token)}`);
const $ = (sel) => document.querySelector(sel);
// How long to wait for an answer: the server answers within its request timeout plus a grace (status
// says how long); a little more here so that its own message (busy, stopped) is what the page shows.
let REQUEST_TIMEOUT_MS = 30000;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

/// fetch with the token, a timeout, and every failure turned into an Error with a clear message.
async function api(path, opts) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS);
  let res;
  try {
    res = await fetch(path, Object.assign({ signal: ctl.signal }, opts, { headers: Object.assign({ 'X-Rumpjs-Token': token }, (opts && opts.headers) || {}) }));
  } catch (e) {
    throw new Error(e.name === 'AbortError' ? `no answer from the server after ${REQUEST_TIMEOUT_MS / 1000} s` : `cannot reach the server (${e.message}); is rumpjs serve still running?`);
  } finally {
    clearTimeout(timer);
  }
  const type = res.headers.get('content-type') || '';
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    if (type.includes('json')) {
      const j = await res.json().catch(() => null);
      if (j && j.error) msg = j.error;
    } else {
      const t = await res.text().catch(() => '');
      if (t) msg = t;
    }
    throw new Error(msg);
  }
  return res;
}

async function apiJson(path, body) {
  const res = await api(path, body === undefined ? undefined : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
}

// ---------------------------------------------------------------- status: boot log and mounts

async function loadStatus() {
  try {
    const s = await apiJson('/api/status');
    if (s.answerWithin) REQUEST_TIMEOUT_MS = Math.max(30000, (s.answerWithin + 10) * 1000);
    $('#dmesg').textContent = s.dmesg;
    $('#dmesg').scrollTop = 1e9;
    $('#session').textContent = s.session ? s.session.charAt(0).toUpperCase() + s.session.slice(1) + '.' : '';
    const eng = s.engine || {};
    $('#engine').textContent = eng.busy
      ? `JavaScript engine: busy for ${Math.round(eng.seconds)} s with ${eng.what}`
      : `JavaScript engine: idle${eng.stopped ? ` (${eng.stopped} evaluation${eng.stopped === 1 ? '' : 's'} stopped at the time limit so far)` : ''}`;
    $('#engine').className = eng.busy ? 'engine busy' : 'engine';
    const tb = $('#mounts tbody');
    tb.replaceChildren();
    for (const m of s.mounts) {
      const actions = el('td');
      if (m.type === 'ffs') actions.append(el('button', { class: 'small', onclick: () => showInfo(m.dir) }, 'info'));
      const dir = el('td', { class: 'name' }, el('a', { title: 'browse ' + m.dir, onclick: () => browse(m.dir) }, m.dir));
      tb.append(el('tr', {}, el('td', {}, m.spec), dir, el('td', {}, m.type), el('td', {}, m.readonly ? 'read-only' : 'read-write'),
        el('td', { class: 'num' }, m.size !== undefined ? humanize(m.size) : '-'), el('td', { class: 'num' }, m.free !== undefined ? humanize(m.free) : '-'), actions));
    }
  } catch (e) {
    $('#dmesg').textContent = 'error: ' + e.message;
  }
}

async function showInfo(dir) {
  const box = $('#info');
  box.hidden = false;
  box.textContent = 'loading…';
  try {
    const r = await apiJson('/api/info?dir=' + encodeURIComponent(dir));
    box.textContent = r.text;
  } catch (e) {
    box.textContent = 'error: ' + e.message;
  }
}

// ---------------------------------------------------------------- console

const history = [];
let histPos = 0;

function print(text, cls) {
  const out = $('#output');
  out.append(el('span', cls ? { class: cls } : {}, text));
  out.scrollTop = out.scrollHeight;
}

async function runInput(ev) {
  ev.preventDefault();
  const input = $('#command');
  const line = input.value;
  if (!line.trim()) return;
  history.push(line);
  histPos = history.length;
  input.value = '';
  const js = $('#mode').value === 'js';
  print((js ? '> ' : '$ ') + line + '\n', js ? 'prompt js' : 'prompt');
  $('#run').disabled = true;
  try {
    if (js) {
      const r = await apiJson('/api/eval', { code: line });
      if (r.output) print(r.output);
      if (r.ok) print(r.value + '\n');
      else print(r.error + '\n', 'err');
    } else {
      const r = await apiJson('/api/command', { line, columns: terminalColumns() });
      if (r.output) print(r.output);
      if (r.out) print(r.out);
      if (r.err) print(r.err, 'err');
      if (r.status !== 0 && !r.err) print(`(exit status ${r.status})\n`, 'err');
    }
  } catch (e) {
    print('error: ' + e.message + '\n', 'err');
  } finally {
    $('#run').disabled = false;
    input.focus();
  }
  if (/^\.?(mount|umount|cd)\b/.test(line) || js) loadStatus();
}

/// How many characters fit on a line of the console (for ls's columns).
function terminalColumns() {
  const out = $('#output');
  const probe = el('span', {}, 'x'.repeat(50));
  out.append(probe);
  const w = probe.getBoundingClientRect().width / 50;
  probe.remove();
  return w > 0 ? Math.max(20, Math.floor((out.clientWidth - 24) / w)) : 80;
}

function historyKeys(ev) {
  if (ev.key === 'ArrowUp' && histPos > 0) {
    histPos--;
    ev.target.value = history[histPos];
    ev.preventDefault();
  } else if (ev.key === 'ArrowDown') {
    histPos = Math.min(history.length, histPos + 1);
    ev.target.value = history[histPos] || '';
    ev.preventDefault();
  }
}

// ---------------------------------------------------------------- file browser

let cwd = '/';
let viewing = null;

function crumbs(p) {
  const nav = $('#crumbs');
  nav.replaceChildren();
  const parts = p.split('/').filter(Boolean);
  nav.append(el('a', { onclick: () => browse('/') }, '/'));
  let acc = '';
  for (const part of parts) {
    acc += '/' + part;
    const target = acc;
    nav.append(el('a', { onclick: () => browse(target) }, part), '/');
  }
}

async function browse(p) {
  cwd = p;
  crumbs(p);
  const tb = $('#listing tbody');
  tb.replaceChildren(el('tr', {}, el('td', { colspan: 7 }, 'loading…')));
  try {
    const r = await apiJson('/api/list?path=' + encodeURIComponent(p));
    tb.replaceChildren();
    if (p !== '/') {
      const up = parentPath(p);
      tb.append(el('tr', {}, el('td', {}, 'd'), el('td'), el('td'), el('td'), el('td'), el('td', { class: 'name' }, el('a', { onclick: () => browse(up) }, '..')), el('td')));
    }
    for (const e of r.entries) {
      const full = childPath(p, e.name);
      let name;
      if (e.type === 'd') name = el('a', { onclick: () => browse(full) }, e.name + '/');
      else if (e.type === 'f' || (e.type === 'l' && e.targetType === 'f')) name = el('a', { onclick: () => openFile(full, 'auto') }, e.name);
      else name = el('span', {}, e.name);
      const nameCell = el('td', { class: 'name' }, name);
      if (e.target !== undefined) nameCell.append(' -> ' + e.target);
      const dl = e.type === 'f' ? el('a', { class: 'small button', href: downloadUrl(full), download: e.name }, 'download') : '';
      tb.append(el('tr', {}, el('td', {}, e.type), el('td', {}, e.mode === undefined ? '' : strmode(e.mode)), el('td', {}, `${e.uid}:${e.gid}`), el('td', { class: 'num' }, e.size),
        el('td', {}, new Date(e.mtimeMs).toISOString().replace('T', ' ').slice(0, 19)), nameCell, el('td', {}, dl)));
    }
    if (r.truncated) tb.append(el('tr', {}, el('td', { colspan: 7 }, `… ${r.truncated} more entries not shown`)));
  } catch (e) {
    tb.replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'error-banner' }, 'error: ' + e.message)));
  }
}

function downloadUrl(p) {
  return '/api/download?path=' + encodeURIComponent(p) + '&token=' + encodeURIComponent(token);
}

/// A path as one word of a command line (commands.js's tokenize reads shell quoting).
function shellQuote(p) {
  return "'" + p.replaceAll("'", "'\\''") + "'";
}

/// Whether bytes look like something other than text: a NUL, or many control bytes.
function looksBinary(bytes) {
  const n = Math.min(bytes.length, 4096);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b === 0) return true;
    if (b < 9 || (b > 13 && b < 32) || b === 127) odd++;
  }
  return odd > n / 10;
}

async function openFile(p, how) {
  viewing = p;
  $('#viewer').hidden = false;
  $('#viewer-name').textContent = p;
  $('#viewer-download').href = downloadUrl(p);
  $('#viewer-download').setAttribute('download', p.split('/').pop());
  const body = $('#viewer-body');
  body.textContent = 'loading…';
  try {
    const res = await api('/api/read?path=' + encodeURIComponent(p));
    const total = Number(res.headers.get('X-Total-Size') || 0);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (how === 'auto') how = looksBinary(bytes) ? 'hex' : 'text';
    let shown = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    if (how === 'hex') {
      // The REPL's own hexdump (commands.js), over the bytes the page was sent: one implementation.
      const r = await apiJson('/api/command', { line: `hexdump -n ${bytes.length} ${shellQuote(p)}`, columns: 80 });
      shown = (r.out || '') + (r.err || '');
    }
    if (!bytes.length) shown = total ? '' : '(empty file)';
    if (total > bytes.length) shown += `\n… ${total - bytes.length} more bytes (download to get all of it)`;
    body.textContent = shown;
  } catch (e) {
    body.textContent = 'error: ' + e.message;
  }
}

// A module runs once the document is parsed (DOMContentLoaded may be over by the time format.js is in).
function start() {
  $('#command-form').addEventListener('submit', runInput);
  $('#command').addEventListener('keydown', historyKeys);
  $('#refresh-dmesg').addEventListener('click', (e) => {
    e.preventDefault();
    loadStatus();
  });
  $('#view-text').addEventListener('click', () => viewing && openFile(viewing, 'text'));
  $('#view-hex').addEventListener('click', () => viewing && openFile(viewing, 'hex'));
  $('#viewer-close').addEventListener('click', () => ($('#viewer').hidden = true));
  if (!token) print('This page was opened without its token: requests will be refused. Open the URL rumpjs serve printed.\n', 'err');
  loadStatus();
  browse('/');
}

start();
