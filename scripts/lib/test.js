// The test API of `rumpjs test` (module 'rumpjs:test', also 'node:test'): test/it, describe/suite, before,
// after, beforeEach, afterEach, .skip, .only, .todo, async tests, per-test timeouts. Test files register
// tests when evaluated; the runner then calls run() and reports the events it emits.

import { inspect } from './inspect.js';
import { diff } from './assert.js';

class Suite {
  constructor(name, parent, opts) {
    this.name = name;
    this.parent = parent;
    this.opts = opts || {};
    this.children = [];
    this.before = [];
    this.after = [];
    this.beforeEach = [];
    this.afterEach = [];
  }

  fullName() {
    const names = [];
    for (let s = this; s && s.parent; s = s.parent) names.unshift(s.name);
    return names.join(' > ');
  }
}

const root = new Suite('', null);
/// What to undo when the running test (or, outside tests, the file) ends: overlays to unmount.
let cleanups = [];
let overlayCount = 0;

/// A fresh writable copy-on-write view of a disk image, for one test: the image is mounted read-write on
/// an in-memory overlay at a new directory (returned) and unmounted when the test ends; the image file
/// itself is never written. Options: { type: 'ffs', partition, dir, options: {...mount options} }.
export function overlay(image, opts) {
  const o = opts || {};
  const dir = o.dir || `/mnt/overlay${overlayCount++}`;
  fs.mkdirSync(dir, { recursive: true });
  const mo = Object.assign({}, o.options, { image: String(image), overlay: true });
  if (o.partition !== undefined) mo.partition = String(o.partition);
  rump.mount(o.type || 'ffs', dir, mo);
  cleanups.push(() => rump.unmount(dir, { force: true }));
  return dir;
}

async function runCleanups() {
  const list = cleanups;
  cleanups = [];
  let first = null;
  for (const f of list.reverse()) {
    try {
      await f();
    } catch (e) {
      if (first === null) first = e;
    }
  }
  if (first !== null) throw first;
}
let current = root;
let hasOnly = false;
let running = false;

function parseArgs(args, what) {
  let name;
  let opts = {};
  let fn;
  for (const a of args) {
    if (typeof a === 'string') name = a;
    else if (typeof a === 'function') fn = a;
    else if (a && typeof a === 'object') opts = a;
  }
  if (name === undefined) name = fn && fn.name ? fn.name : '<anonymous>';
  if (fn === undefined && !opts.todo && !opts.skip) {
    if (what === 'test') opts = Object.assign({}, opts, { todo: true });
  }
  return { name, opts, fn };
}

function register(args, extra) {
  const { name, opts, fn } = parseArgs(args, 'test');
  const o = Object.assign({}, opts, extra);
  if (o.only) hasOnly = true;
  if (running) throw new Error(`test('${name}') called while tests run: use t.test() for subtests`);
  current.children.push({ kind: 'test', name, opts: o, fn, parent: current });
}

export function test(...args) {
  register(args, {});
}
test.skip = (...args) => register(args, { skip: true });
test.only = (...args) => register(args, { only: true });
test.todo = (...args) => register(args, { todo: true });

export function describe(...args) {
  const { name, opts, fn } = parseArgs(args, 'describe');
  return addSuite(name, opts, fn);
}

function addSuite(name, opts, fn) {
  if (opts.only) hasOnly = true;
  const s = new Suite(name, current, opts);
  current.children.push({ kind: 'suite', suite: s });
  const prev = current;
  current = s;
  try {
    if (fn) {
      const r = fn(s);
      if (r && typeof r.then === 'function') {
        throw new Error(`describe('${name}') got an async function: register tests synchronously, await inside tests`);
      }
    }
  } finally {
    current = prev;
  }
}
describe.skip = (...args) => {
  const { name, opts, fn } = parseArgs(args, 'describe');
  return addSuite(name, Object.assign({}, opts, { skip: true }), fn);
};
describe.only = (...args) => {
  const { name, opts, fn } = parseArgs(args, 'describe');
  return addSuite(name, Object.assign({}, opts, { only: true }), fn);
};
describe.todo = (...args) => {
  const { name, opts, fn } = parseArgs(args, 'describe');
  return addSuite(name, Object.assign({}, opts, { todo: true }), fn);
};

export const it = test;
export const suite = describe;

export function before(fn) {
  current.before.push(fn);
}
export function after(fn) {
  current.after.push(fn);
}
export function beforeEach(fn) {
  current.beforeEach.push(fn);
}
export function afterEach(fn) {
  current.afterEach.push(fn);
}

/// An error as plain data for the reporter (the runner lives outside JS).
export function serializeError(e) {
  if (e === null || typeof e !== 'object') {
    return { name: 'Error', message: `thrown: ${inspect(e)}`, stack: '' };
  }
  const out = { name: String(e.name || 'Error'), message: String(e.message ?? ''), stack: String(e.stack || '') };
  if (e.code !== undefined) out.code = String(e.code);
  if (e.name === 'AssertionError' || e.code === 'ERR_ASSERTION') {
    out.operator = e.operator;
    out.actual = inspect(e.actual, { depth: 6 });
    out.expected = inspect(e.expected, { depth: 6 });
    // A diff where a comparison failed with a message of the caller's (generated ones hold theirs).
    const compares = ['deepStrictEqual', 'deepEqual', 'strictEqual', 'equal', 'notDeepStrictEqual', 'notDeepEqual'];
    if (!e.generatedMessage && compares.includes(e.operator)) {
      out.diff = diff(e.actual, e.expected);
    }
  }
  return out;
}

class TestContext {
  constructor(name, fullName, timeout, emit, filter) {
    this.name = name;
    this.fullName = fullName;
    this._skip = null;
    this._todo = null;
    this._timeout = timeout;
    this._emit = emit;
    this._filter = filter;
    this._subtests = 0;
    this.signal = undefined;
  }

  skip(message) {
    this._skip = message === undefined ? '' : String(message);
  }

  todo(message) {
    this._todo = message === undefined ? '' : String(message);
  }

  /// overlay() for this test.
  overlay(image, opts) {
    return overlay(image, opts);
  }

  diagnostic(message) {
    this._emit({ type: 'diagnostic', name: this.fullName, message: String(message) });
  }

  /// A subtest, run to completion before the parent goes on (await it).
  async test(...args) {
    const { name, opts, fn } = parseArgs(args, 'test');
    this._subtests++;
    const item = { kind: 'test', name, opts, fn, parent: null };
    return runTest(item, `${this.fullName} > ${name}`, [], [], this._timeout, this._emit, null, true);
  }
}

function withTimeout(promise, ms, what) {
  if (!ms || ms === Infinity) return promise;
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

function callTest(fn, ctx) {
  if (fn.length >= 2) {
    // Callback style: fn(t, done).
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (err) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      try {
        const r = fn(ctx, done);
        if (r && typeof r.then === 'function') r.then(() => {}, done);
      } catch (e) {
        done(e);
      }
    });
  }
  return Promise.resolve().then(() => fn(ctx));
}

function now() {
  return typeof performance !== 'undefined' && performance.now ? performance.now() : Date.now();
}

async function runHooks(hooks, ctx, what) {
  for (const h of hooks) await callTest(h, ctx);
}

function matches(filter, fullName) {
  if (!filter) return true;
  return filter instanceof RegExp ? filter.test(fullName) : fullName.includes(filter);
}

async function runTest(item, fullName, beforeEachHooks, afterEachHooks, timeout, emit, filter, isSub) {
  const o = item.opts;
  if (!isSub && !matches(filter, fullName)) return 'filtered';
  if (o.skip) {
    emit({ type: 'skip', name: fullName, reason: typeof o.skip === 'string' ? o.skip : '' });
    return 'skip';
  }
  if (o.todo && !item.fn) {
    emit({ type: 'todo', name: fullName, reason: typeof o.todo === 'string' ? o.todo : '' });
    return 'todo';
  }
  const ms = o.timeout !== undefined ? o.timeout : timeout;
  const ctx = new TestContext(item.name, fullName, ms, emit, filter);
  emit({ type: 'start', name: fullName });
  const t0 = now();
  let error = null;
  try {
    await withTimeout(
      (async () => {
        await runHooks(beforeEachHooks, ctx, 'beforeEach');
        try {
          await callTest(item.fn, ctx);
        } finally {
          try {
            await runHooks(afterEachHooks, ctx, 'afterEach');
          } finally {
            await runCleanups();
          }
        }
      })(),
      ms,
      `test '${fullName}'`,
    );
  } catch (e) {
    error = e;
  }
  const duration = Math.round((now() - t0) * 1000) / 1000;
  if (error === null && ctx._skip !== null) {
    emit({ type: 'skip', name: fullName, reason: ctx._skip, duration });
    return 'skip';
  }
  if (o.todo || ctx._todo !== null) {
    const reason = ctx._todo || (typeof o.todo === 'string' ? o.todo : '');
    emit({ type: 'todo', name: fullName, reason, duration, error: error && serializeError(error) });
    return 'todo';
  }
  if (error !== null) {
    emit({ type: 'fail', name: fullName, duration, error: serializeError(error) });
    return 'fail';
  }
  emit({ type: 'pass', name: fullName, duration });
  return 'pass';
}

/// Whether a suite or test runs in "only" mode: it, or an ancestor or a descendant, is marked only.
function containsOnly(item) {
  if (item.kind === 'test') return !!item.opts.only;
  if (item.suite.opts.only) return true;
  return item.suite.children.some(containsOnly);
}

async function runSuite(suite, beforeEachHooks, afterEachHooks, opts, inheritedSkip, inOnly) {
  const counts = { pass: 0, fail: 0, skip: 0, todo: 0 };
  const add = (r) => {
    if (r in counts) counts[r]++;
  };
  const emit = opts.emit;
  const be = beforeEachHooks.concat(suite.beforeEach);
  const ae = suite.afterEach.concat(afterEachHooks);
  const runnable = (item) =>
    !hasOnly ||
    inOnly ||
    (item.kind === 'test' ? !!item.opts.only : containsOnly(item));
  // Suite-level hooks run only if something in the suite runs.
  const anyRuns = suite.children.some((c) => runnable(c));
  const ctx = new TestContext(suite.name, suite.fullName(), opts.timeout, emit, opts.filter);
  let hookError = null;
  if (anyRuns && !inheritedSkip) {
    try {
      await withTimeout(runHooks(suite.before, ctx, 'before'), opts.timeout, `before hook of '${suite.fullName()}'`);
    } catch (e) {
      hookError = e;
    }
  }
  for (const item of suite.children) {
    if (!runnable(item)) continue;
    if (item.kind === 'suite') {
      const s = item.suite;
      const skip = inheritedSkip || !!s.opts.skip || !!s.opts.todo;
      const r = await runSuite(s, be, ae, opts, skip, inOnly || !!s.opts.only);
      for (const k in counts) counts[k] += r[k];
      continue;
    }
    const fullName = suite.parent ? `${suite.fullName()} > ${item.name}` : item.name;
    if (hookError !== null) {
      if (matches(opts.filter, fullName)) {
        emit({ type: 'fail', name: fullName, duration: 0, error: serializeError(hookError) });
        counts.fail++;
      }
      continue;
    }
    if (inheritedSkip) {
      if (matches(opts.filter, fullName)) {
        emit({ type: 'skip', name: fullName, reason: '' });
        counts.skip++;
      }
      continue;
    }
    add(await runTest(item, fullName, be, ae, opts.timeout, emit, opts.filter, false));
  }
  if (anyRuns && !inheritedSkip) {
    try {
      await withTimeout(runHooks(suite.after, ctx, 'after'), opts.timeout, `after hook of '${suite.fullName()}'`);
    } catch (e) {
      emit({ type: 'fail', name: `${suite.fullName() || '<file>'} (after hook)`, duration: 0, error: serializeError(e) });
      counts.fail++;
    }
  }
  return counts;
}

/// Runs every registered test. `opts`: { filter: string | RegExp, timeout: ms, emit(event) }.
/// Events: start, pass, fail, skip, todo, diagnostic — each with the test's full name ("suite > test").
export async function run(opts) {
  const o = Object.assign({ filter: null, timeout: 0, emit: () => {} }, opts || {});
  if (typeof o.filter === 'string' && o.filter.length > 1 && o.filter.startsWith('/') && o.filter.lastIndexOf('/') > 0) {
    const i = o.filter.lastIndexOf('/');
    o.filter = new RegExp(o.filter.slice(1, i), o.filter.slice(i + 1));
  }
  running = true;
  try {
    return await runSuite(root, [], [], o, false, false);
  } finally {
    running = false;
    await runCleanups().catch(() => {});
    o.emit({ type: 'done' });
  }
}

export default test;
Object.assign(test, { test, it, describe, suite, before, after, beforeEach, afterEach, run, overlay });
