// An `assert` module compatible with Node's (node:assert): ok, equal, notEqual, strictEqual,
// notStrictEqual, deepEqual, deepStrictEqual, notDeepEqual, notDeepStrictEqual, throws, doesNotThrow,
// rejects, doesNotReject, match, doesNotMatch, fail, ifError; AssertionError with actual, expected,
// operator, code 'ERR_ASSERTION', and a readable diff.

import { inspect } from './inspect.js';

export class AssertionError extends Error {
  constructor(options) {
    const { message, actual, expected, operator, stackStartFn } = options;
    super(message !== undefined ? String(message) : defaultMessage(actual, expected, operator));
    this.name = 'AssertionError';
    this.code = 'ERR_ASSERTION';
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
    this.generatedMessage = message === undefined;
    void stackStartFn;
  }
}

const VERBS = {
  strictEqual: 'Expected values to be strictly equal:',
  deepStrictEqual: 'Expected values to be strictly deep-equal:',
  deepEqual: 'Expected values to be loosely deep-equal:',
  equal: 'Expected values to be loosely equal:',
  notStrictEqual: 'Expected "actual" to be strictly unequal to:',
  notDeepStrictEqual: 'Expected "actual" not to be strictly deep-equal to:',
  notDeepEqual: 'Expected "actual" not to be loosely deep-equal to:',
  notEqual: 'Expected "actual" to be loosely unequal to:',
};

/// Line diff of two inspected values: `+ actual - expected`, as Node prints it.
export function diff(actual, expected) {
  const a = inspect(actual, { depth: 6, breakLength: 1 }).split('\n');
  const e = inspect(expected, { depth: 6, breakLength: 1 }).split('\n');
  // Longest common subsequence of lines; inputs are small.
  const n = a.length;
  const m = e.length;
  if (n * m > 250000) return `+ ${a.join('\n+ ')}\n- ${e.join('\n- ')}`;
  const L = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) L[i][j] = a[i] === e[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === e[j]) {
      out.push('  ' + a[i]);
      i++;
      j++;
    } else if (i < n && (j === m || L[i + 1][j] >= L[i][j + 1])) out.push('+ ' + a[i++]);
    else out.push('- ' + e[j++]);
  }
  return out.join('\n');
}

function defaultMessage(actual, expected, operator) {
  const verb = VERBS[operator];
  // Node's AssertionError: the value on one line when it is short, else under the verb.
  if (operator === 'notStrictEqual' || operator === 'notDeepStrictEqual') {
    const objectLike = (typeof actual === 'object' && actual !== null) || typeof actual === 'function';
    const base = operator === 'notStrictEqual' && objectLike ? 'Expected "actual" not to be reference-equal to "expected":' : verb;
    const lines = inspect(actual, { depth: 6, breakLength: 1 }).split('\n');
    if (lines.length === 1) return `${base}${lines[0].length > 5 ? '\n\n' : ' '}${lines[0]}`;
    return `${base}\n\n${lines.join('\n')}\n`;
  }
  if (operator === 'notDeepEqual') {
    const a = inspect(actual, { depth: 6, breakLength: 1 });
    const e = inspect(expected, { depth: 6, breakLength: 1 });
    if (a === e) return `${verb}\n\n${a}`;
    return `Expected values not to be loosely deep-equal:\n\n${a}\n\nshould not loosely deep-equal\n\n${e}`;
  }
  if (verb) {
    const ai = inspect(actual, { depth: 6 });
    const ei = inspect(expected, { depth: 6 });
    if (isPrimitive(actual) && isPrimitive(expected) && !ai.includes('\n') && !ei.includes('\n') && ai.length + ei.length < 100) {
      return `${verb}\n\n${ai} !== ${ei}\n`;
    }
    return `${verb}\n+ actual - expected\n\n${diff(actual, expected)}`;
  }
  if (operator === '==') return `${inspect(actual)} == ${inspect(expected)}`;
  return `${inspect(actual)} ${operator} ${inspect(expected)}`;
}

function fail(obj) {
  throw new AssertionError(obj);
}

function innerOk(fn, argLen, value, message) {
  if (!value) {
    let generated = false;
    if (argLen === 0) {
      message = 'No value argument passed to `assert.ok()`';
      generated = true;
    } else if (message === undefined) {
      message = 'The expression evaluated to a falsy value:\n\n  assert.ok(' + inspect(value) + ')\n';
      generated = true;
    } else if (message instanceof Error) {
      throw message;
    }
    const err = new AssertionError({ actual: value, expected: true, message, operator: '==', stackStartFn: fn });
    err.generatedMessage = generated;
    throw err;
  }
}

export function ok(...args) {
  innerOk(ok, args.length, ...args);
}

function maybeThrow(message, fallback) {
  if (message instanceof Error) throw message;
  fail({ ...fallback, message });
}

export function equal(actual, expected, message) {
  // eslint-disable-next-line eqeqeq
  if (!(actual == expected || (Number.isNaN(actual) && Number.isNaN(expected)))) {
    maybeThrow(message, { actual, expected, operator: '==' });
  }
}

export function notEqual(actual, expected, message) {
  // eslint-disable-next-line eqeqeq
  if (actual == expected || (Number.isNaN(actual) && Number.isNaN(expected))) {
    maybeThrow(message, { actual, expected, operator: '!=' });
  }
}

export function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) maybeThrow(message, { actual, expected, operator: 'strictEqual' });
}

export function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) maybeThrow(message, { actual, expected, operator: 'notStrictEqual' });
}

function isPrimitive(v) {
  return v === null || (typeof v !== 'object' && typeof v !== 'function');
}

function tag(v) {
  return Object.prototype.toString.call(v);
}

/// Node's isDeepStrictEqual / isDeepEqual (the essentials: primitives, arrays, plain objects, prototypes
/// in strict mode, Dates, RegExps, boxed primitives, typed arrays, ArrayBuffers, Maps, Sets, Errors,
/// cycles).
export function isDeepEqual(a, b, strict, memo) {
  if (strict ? Object.is(a, b) : a == b || (Number.isNaN(a) && Number.isNaN(b))) return true; // eslint-disable-line eqeqeq
  if (isPrimitive(a) || isPrimitive(b)) {
    if (strict) return false;
    if (isPrimitive(a) && isPrimitive(b)) return a == b; // eslint-disable-line eqeqeq
    return false;
  }
  if (typeof a !== typeof b) return false;
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (tag(a) !== tag(b)) return false;
  memo = memo || new Map();
  const seen = memo.get(a);
  if (seen && seen.has(b)) return true;
  if (!seen) memo.set(a, new Set([b]));
  else seen.add(b);

  if (a instanceof Date) {
    if (a.getTime() !== b.getTime()) return false;
  } else if (a instanceof RegExp) {
    if (a.source !== b.source || a.flags !== b.flags || a.lastIndex !== b.lastIndex) return false;
  } else if (a instanceof Error) {
    if (a.message !== b.message || a.name !== b.name) return false;
  } else if (ArrayBuffer.isView(a)) {
    if (a.byteLength !== b.byteLength) return false;
    const ua = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const ub = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (!strict && !(a instanceof Uint8Array) && a.length === b.length) {
      for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false; // eslint-disable-line eqeqeq
    } else {
      for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
    }
  } else if (a instanceof ArrayBuffer) {
    if (a.byteLength !== b.byteLength) return false;
    const ua = new Uint8Array(a);
    const ub = new Uint8Array(b);
    for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
    return true;
  } else if (a instanceof Number || a instanceof String || a instanceof Boolean) {
    if (!Object.is(a.valueOf(), b.valueOf())) return false;
  }

  if (a instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (b.has(k)) {
        if (!isDeepEqual(v, b.get(k), strict, memo)) return false;
      } else {
        let found = false;
        for (const [k2, v2] of b) {
          if (isDeepEqual(k, k2, strict, memo) && isDeepEqual(v, v2, strict, memo)) {
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
    }
  } else if (a instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) {
      if (b.has(v)) continue;
      if (isPrimitive(v) && strict) return false;
      let found = false;
      for (const v2 of b) {
        if (isDeepEqual(v, v2, strict, memo)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
  }

  const ka = ownKeys(a, strict);
  const kb = ownKeys(b, strict);
  if (ka.length !== kb.length) return false;
  const kbs = new Set(kb);
  for (const k of ka) {
    if (!kbs.has(k)) return false;
    if (ArrayBuffer.isView(a) && typeof k === 'string' && /^[0-9]+$/.test(k)) continue;
    if (!isDeepEqual(a[k], b[k], strict, memo)) return false;
  }
  return true;
}

function ownKeys(o, strict) {
  const keys = Object.keys(o);
  if (strict) {
    for (const s of Object.getOwnPropertySymbols(o)) {
      if (Object.prototype.propertyIsEnumerable.call(o, s)) keys.push(s);
    }
  }
  if (Array.isArray(o) && !strict) return keys;
  return keys;
}

export function deepEqual(actual, expected, message) {
  if (!isDeepEqual(actual, expected, false)) maybeThrow(message, { actual, expected, operator: 'deepEqual' });
}

export function notDeepEqual(actual, expected, message) {
  if (isDeepEqual(actual, expected, false)) maybeThrow(message, { actual, expected, operator: 'notDeepEqual' });
}

export function deepStrictEqual(actual, expected, message) {
  if (!isDeepEqual(actual, expected, true)) maybeThrow(message, { actual, expected, operator: 'deepStrictEqual' });
}

export function notDeepStrictEqual(actual, expected, message) {
  if (isDeepEqual(actual, expected, true)) {
    maybeThrow(message, { actual, expected, operator: 'notDeepStrictEqual' });
  }
}

export function match(string, regexp, message) {
  if (!(regexp instanceof RegExp)) throw new TypeError('The "regexp" argument must be an instance of RegExp.');
  if (typeof string !== 'string' || !regexp.test(string)) {
    maybeThrow(
      message !== undefined
        ? message
        : typeof string !== 'string'
          ? `The "string" argument must be of type string. Received type ${typeof string} (${inspect(string)})`
          : `The input did not match the regular expression ${inspect(regexp)}. Input:\n\n${inspect(string)}\n`,
      { actual: string, expected: regexp, operator: 'match' },
    );
  }
}

export function doesNotMatch(string, regexp, message) {
  if (!(regexp instanceof RegExp)) throw new TypeError('The "regexp" argument must be an instance of RegExp.');
  if (typeof string !== 'string' || regexp.test(string)) {
    maybeThrow(
      message !== undefined
        ? message
        : typeof string !== 'string'
          ? `The "string" argument must be of type string. Received type ${typeof string} (${inspect(string)})`
          : `The input was expected to not match the regular expression ${inspect(regexp)}. Input:\n\n${inspect(string)}\n`,
      { actual: string, expected: regexp, operator: 'doesNotMatch' },
    );
  }
}

function assertFail(message) {
  if (message instanceof Error) throw message;
  fail({ message: message === undefined ? 'Failed' : message, operator: 'fail' });
}
export { assertFail as fail };

export function ifError(err) {
  if (err !== null && err !== undefined) {
    if (err instanceof Error) throw err;
    fail({ message: `ifError got unwanted exception: ${inspect(err)}`, actual: err, expected: null, operator: 'ifError' });
  }
}

/// Checks a thrown value against `expected` as assert.throws does: a RegExp tested against String(err),
/// a class (instanceof), a validation function (must return true), or an object whose every key must
/// match (deep-strict, or RegExp against a string property).
function checkExpected(actual, expected, message, fn) {
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    if (expected.test(String(actual))) return;
    fail({
      actual,
      expected,
      message: message || `The input did not match the regular expression ${inspect(expected)}. Input:\n\n${inspect(String(actual))}\n`,
      operator: fn.name,
    });
  }
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && actual instanceof expected) return;
    if (Error.isPrototypeOf(expected) || expected === Error) {
      fail({
        actual,
        expected,
        message: message || `The error is expected to be an instance of "${expected.name}". Received "${actual && actual.constructor ? actual.constructor.name : typeof actual}"\n\nError message:\n\n${actual && actual.message}`,
        operator: fn.name,
      });
    }
    const r = expected.call({}, actual);
    if (r !== true) {
      fail({
        actual,
        expected,
        message: message || `The ${expected.name ? `"${expected.name}" validation function` : 'validation function'} is expected to return "true". Received ${inspect(r)}\n\nCaught error:\n\n${inspect(actual)}`,
        operator: fn.name,
      });
    }
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (isPrimitive(actual)) {
      fail({ actual, expected, message: message || `Expected an object to be thrown, got ${inspect(actual)}`, operator: fn.name });
    }
    const keys = Reflect.ownKeys(expected);
    if (expected instanceof Error) keys.push('name', 'message');
    for (const k of keys) {
      const want = expected[k];
      const got = actual[k];
      if (want instanceof RegExp && typeof got === 'string') {
        if (want.test(got)) continue;
      } else if (isDeepEqual(got, want, true)) continue;
      const shownActual = {};
      const shownExpected = {};
      for (const kk of keys) {
        shownActual[kk] = actual[kk];
        shownExpected[kk] = expected[kk];
      }
      fail({
        actual,
        expected,
        message: message || `Expected values to be strictly deep-equal:\n+ actual - expected\n\n${diff(shownActual, shownExpected)}`,
        operator: fn.name,
      });
    }
    return;
  }
  throw new TypeError('The "expected" argument must be a RegExp, a function, an object or an Error');
}

const NO_EXCEPTION = Symbol('no exception');

function getActual(fn) {
  if (typeof fn !== 'function') throw new TypeError(`The "fn" argument must be of type function. Received ${inspect(fn)}`);
  try {
    fn();
  } catch (e) {
    return e;
  }
  return NO_EXCEPTION;
}

export function throws(fn, expected, message) {
  if (typeof expected === 'string') {
    message = expected;
    expected = undefined;
  }
  const actual = getActual(fn);
  if (actual === NO_EXCEPTION) {
    let details = '';
    if (expected && expected.name) details += ` (${expected.name})`;
    details += message ? `: ${message}` : '.';
    fail({ actual: undefined, expected, operator: 'throws', message: `Missing expected exception${details}` });
  }
  checkExpected(actual, expected, message, throws);
}

export function doesNotThrow(fn, expected, message) {
  if (typeof expected === 'string') {
    message = expected;
    expected = undefined;
  }
  const actual = getActual(fn);
  if (actual === NO_EXCEPTION) return;
  fail({
    actual,
    expected,
    operator: 'doesNotThrow',
    message: `Got unwanted exception${message ? ': ' + message : '.'}\nActual message: "${actual && actual.message}"`,
  });
}

async function waitActual(promiseFn) {
  let p;
  if (typeof promiseFn === 'function') {
    p = promiseFn();
    if (!p || typeof p.then !== 'function') {
      throw new TypeError('The "promiseFn" argument must return a Promise');
    }
  } else if (promiseFn && typeof promiseFn.then === 'function') {
    p = promiseFn;
  } else {
    throw new TypeError('The "promiseFn" argument must be of type function or an instance of Promise.');
  }
  try {
    await p;
  } catch (e) {
    return e;
  }
  return NO_EXCEPTION;
}

/// Runs an async assertion with the caller's frames as the failure's stack: after an await, the stack
/// shows only this module, and the report could not say which line of the test failed.
async function atCallSite(site, body) {
  try {
    return await body();
  } catch (e) {
    if (e instanceof AssertionError) e.stack = site;
    throw e;
  }
}

export function rejects(promiseFn, expected, message) {
  return atCallSite(new Error().stack, () => rejectsInner(promiseFn, expected, message));
}

async function rejectsInner(promiseFn, expected, message) {
  if (typeof expected === 'string') {
    message = expected;
    expected = undefined;
  }
  const actual = await waitActual(promiseFn);
  if (actual === NO_EXCEPTION) {
    fail({ actual: undefined, expected, operator: 'rejects', message: `Missing expected rejection${message ? ': ' + message : '.'}` });
  }
  checkExpected(actual, expected, message, rejects);
}

export function doesNotReject(promiseFn, expected, message) {
  return atCallSite(new Error().stack, () => doesNotRejectInner(promiseFn, expected, message));
}

async function doesNotRejectInner(promiseFn, expected, message) {
  if (typeof expected === 'string') {
    message = expected;
    expected = undefined;
  }
  const actual = await waitActual(promiseFn);
  if (actual === NO_EXCEPTION) return;
  fail({
    actual,
    expected,
    operator: 'doesNotReject',
    message: `Got unwanted rejection${message ? ': ' + message : '.'}\nActual message: "${actual && actual.message}"`,
  });
}

function assert(...args) {
  innerOk(assert, args.length, ...args);
}

Object.assign(assert, {
  AssertionError,
  ok,
  equal,
  notEqual,
  strictEqual,
  notStrictEqual,
  deepEqual,
  notDeepEqual,
  deepStrictEqual,
  notDeepStrictEqual,
  throws,
  doesNotThrow,
  rejects,
  doesNotReject,
  match,
  doesNotMatch,
  fail: assertFail,
  ifError,
});

/// assert.strict: the strict variants under the loose names, as node:assert/strict.
const strict = (...args) => innerOk(strict, args.length, ...args);
Object.assign(strict, assert, { equal: strictEqual, notEqual: notStrictEqual, deepEqual: deepStrictEqual, notDeepEqual: notDeepStrictEqual });
assert.strict = strict;
strict.strict = strict;

export { strict };
export default assert;
