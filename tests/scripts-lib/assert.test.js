// The assert module itself, against Node's node:assert: every function passes where Node's passes and
// fails where Node's fails, with an AssertionError of code ERR_ASSERTION and Node's operator and message.
// Checked with try/catch by hand (fails/passes below), not with the assert under test.

import { test, describe } from 'rumpjs:test';
import assert from 'assert';
import strict from 'assert/strict';
import * as nodeAssert from 'node:assert';

/// Throws unless fn() throws an AssertionError with `operator` (and `message`, a string or RegExp, if given).
function fails(fn, operator, message) {
  let e;
  try {
    fn();
  } catch (x) {
    e = x;
  }
  check(e, operator, message, fn);
}

/// As fails(), for a function that returns a promise that must reject.
async function failsAsync(fn, operator, message) {
  let e;
  try {
    await fn();
  } catch (x) {
    e = x;
  }
  check(e, operator, message, fn);
}

function check(e, operator, message, fn) {
  if (e === undefined) throw new Error(`did not fail: ${fn}`);
  if (!(e instanceof assert.AssertionError)) throw new Error(`not an AssertionError (${e && e.name}: ${e && e.message}): ${fn}`);
  if (e.code !== 'ERR_ASSERTION') throw new Error(`code ${e.code}: ${fn}`);
  if (e.name !== 'AssertionError') throw new Error(`name ${e.name}: ${fn}`);
  if (e.operator !== operator) throw new Error(`operator ${e.operator}, not ${operator}: ${fn}`);
  if (typeof message === 'string' && e.message !== message) throw new Error(`message ${JSON.stringify(e.message)}, not ${JSON.stringify(message)}`);
  if (message instanceof RegExp && !message.test(e.message)) throw new Error(`message ${JSON.stringify(e.message)} does not match ${message}`);
}

function passes(fn) {
  fn();
}

function throwsType(fn) {
  try {
    fn();
  } catch (e) {
    if (e instanceof TypeError) return;
    throw new Error(`threw ${e && e.name}, not TypeError: ${fn}`);
  }
  throw new Error(`did not throw: ${fn}`);
}

const withCode = (code, msg = 'boom') => Object.assign(new Error(msg), { code });

describe('assert', () => {
  test('ok and assert()', () => {
    passes(() => assert.ok(1));
    passes(() => assert('x'));
    fails(() => assert.ok(0), '==', 'The expression evaluated to a falsy value:\n\n  assert.ok(0)\n');
    fails(() => assert(''), '==');
    fails(() => assert.ok(), '==', 'No value argument passed to `assert.ok()`');
    fails(() => assert.ok(null, 'mine'), '==', 'mine');
    const own = new RangeError('own');
    try {
      assert.ok(false, own);
      throw new Error('did not throw');
    } catch (e) {
      if (e !== own) throw new Error('an Error given as message is thrown itself');
    }
  });

  test('equal and notEqual are loose', () => {
    passes(() => assert.equal(1, '1'));
    passes(() => assert.equal(NaN, NaN));
    passes(() => assert.equal(null, undefined));
    fails(() => assert.equal(1, 2), '==', '1 == 2');
    fails(() => assert.equal({}, {}), '==');
    passes(() => assert.notEqual(1, 2));
    fails(() => assert.notEqual(1, '1'), '!=');
    fails(() => assert.notEqual(NaN, NaN), '!=');
  });

  test('strictEqual and notStrictEqual use Object.is', () => {
    passes(() => assert.strictEqual(NaN, NaN));
    fails(() => assert.strictEqual(1, '1'), 'strictEqual', "Expected values to be strictly equal:\n\n1 !== '1'\n");
    fails(() => assert.strictEqual(0, -0), 'strictEqual');
    fails(() => assert.strictEqual(1, 2, 'custom'), 'strictEqual', 'custom');
    passes(() => assert.notStrictEqual(1, '1'));
    passes(() => assert.notStrictEqual(0, -0));
    fails(() => assert.notStrictEqual(1, 1), 'notStrictEqual', 'Expected "actual" to be strictly unequal to: 1');
    const o = {};
    fails(() => assert.notStrictEqual(o, o), 'notStrictEqual', 'Expected "actual" not to be reference-equal to "expected": {}');
    fails(() => assert.notStrictEqual('a long string', 'a long string'), 'notStrictEqual', "Expected \"actual\" to be strictly unequal to:\n\n'a long string'");
  });

  test('deepEqual, deepStrictEqual and their negations', () => {
    passes(() => assert.deepEqual({ a: [1, 2] }, { a: ['1', 2] }));
    fails(() => assert.deepEqual({ a: 1 }, { a: 2 }), 'deepEqual');
    passes(() => assert.deepStrictEqual(new Map([[1, { x: 1 }]]), new Map([[1, { x: 1 }]])));
    fails(() => assert.deepStrictEqual([1], ['1']), 'deepStrictEqual', /strictly deep-equal/);
    fails(() => assert.deepStrictEqual(new Set([1]), new Set([2])), 'deepStrictEqual');
    fails(() => assert.deepStrictEqual(Object.create(null), {}), 'deepStrictEqual');
    passes(() => assert.notDeepStrictEqual([1], ['1']));
    fails(() => assert.notDeepStrictEqual({ a: 1 }, { a: 1 }), 'notDeepStrictEqual', 'Expected "actual" not to be strictly deep-equal to:\n\n{\n  a: 1\n}\n');
    passes(() => assert.notDeepEqual({ a: 1 }, { a: 2 }));
    fails(() => assert.notDeepEqual({ a: 1 }, { a: '1' }), 'notDeepEqual', "Expected values not to be loosely deep-equal:\n\n{\n  a: 1\n}\n\nshould not loosely deep-equal\n\n{\n  a: '1'\n}");
  });

  test('the strict module has strict comparisons under the loose names', () => {
    fails(() => strict.equal(1, '1'), 'strictEqual');
    fails(() => strict.deepEqual([1], ['1']), 'deepStrictEqual');
    fails(() => strict.notEqual(1, 1), 'notStrictEqual');
    passes(() => strict.notEqual(1, '1'));
    fails(() => assert.strict.equal(1, '1'), 'strictEqual');
    fails(() => nodeAssert.strictEqual(1, 2), 'strictEqual');
  });

  test('match and doesNotMatch', () => {
    passes(() => assert.match('abc', /b/));
    fails(() => assert.match('abc', /x/), 'match', "The input did not match the regular expression /x/. Input:\n\n'abc'\n");
    fails(() => assert.match(123, /1/), 'match', 'The "string" argument must be of type string. Received type number (123)');
    throwsType(() => assert.match('abc', 'b'));
    passes(() => assert.doesNotMatch('abc', /x/));
    fails(() => assert.doesNotMatch('abc', /b/), 'doesNotMatch', /expected to not match the regular expression \/b\//);
    fails(() => assert.doesNotMatch(123, /x/), 'doesNotMatch', 'The "string" argument must be of type string. Received type number (123)');
    throwsType(() => assert.doesNotMatch('abc', 'b'));
  });

  test('fail', () => {
    fails(() => assert.fail(), 'fail', 'Failed');
    fails(() => assert.fail('boom'), 'fail', 'boom');
    const own = withCode('EIO');
    try {
      assert.fail(own);
    } catch (e) {
      if (e !== own) throw new Error('fail(error) throws that error');
    }
  });

  test('ifError', () => {
    passes(() => assert.ifError(null));
    passes(() => assert.ifError(undefined));
    fails(() => assert.ifError('bad'), 'ifError', "ifError got unwanted exception: 'bad'");
  });

  test('throws matches a { code }, a RegExp, a class and a validation function', () => {
    passes(() => assert.throws(() => { throw withCode('ENOENT'); }, { code: 'ENOENT' }));
    passes(() => assert.throws(() => { throw withCode('ENOENT', 'no such file'); }, { code: 'ENOENT', message: /such/ }));
    fails(() => assert.throws(() => { throw withCode('ENOENT'); }, { code: 'EEXIST' }), 'throws', /strictly deep-equal[\s\S]*ENOENT[\s\S]*EEXIST/);
    fails(() => assert.throws(() => {}), 'throws', 'Missing expected exception.');
    fails(() => assert.throws(() => {}, TypeError), 'throws', 'Missing expected exception (TypeError).');
    fails(() => assert.throws(() => {}, 'why'), 'throws', 'Missing expected exception: why');
    passes(() => assert.throws(() => { throw new Error('abc'); }, /abc/));
    fails(() => assert.throws(() => { throw new Error('abc'); }, /xyz/), 'throws', /did not match the regular expression \/xyz\//);
    passes(() => assert.throws(() => { throw new TypeError('t'); }, TypeError));
    fails(() => assert.throws(() => { throw new RangeError('r'); }, TypeError), 'throws', /instance of "TypeError"/);
    passes(() => assert.throws(() => { throw withCode('EIO'); }, (e) => e.code === 'EIO'));
    fails(() => assert.throws(() => { throw withCode('EIO'); }, (e) => e.code === 'EROFS'), 'throws', /validation function/);
    fails(() => assert.throws(() => { throw 'a string'; }, { code: 'X' }), 'throws', /Expected an object to be thrown/);
    throwsType(() => assert.throws('not a function'));
  });

  test('doesNotThrow', () => {
    passes(() => assert.doesNotThrow(() => 1));
    fails(() => assert.doesNotThrow(() => { throw new Error('x'); }), 'doesNotThrow', 'Got unwanted exception.\nActual message: "x"');
  });

  test('rejects and doesNotReject', async () => {
    await assert.rejects(Promise.reject(withCode('EROFS')), { code: 'EROFS' });
    await assert.rejects(async () => { throw new Error('later'); }, /later/);
    await failsAsync(() => assert.rejects(Promise.resolve(1)), 'rejects', 'Missing expected rejection.');
    await failsAsync(() => assert.rejects(async () => 1, 'why'), 'rejects', 'Missing expected rejection: why');
    await failsAsync(() => assert.rejects(Promise.reject(withCode('EROFS')), { code: 'EACCES' }), 'rejects', /EROFS[\s\S]*EACCES/);
    await failsAsync(() => assert.rejects(Promise.reject(new Error('a')), /b/), 'rejects');
    let e;
    try {
      await assert.rejects(() => 1);
    } catch (x) {
      e = x;
    }
    if (!(e instanceof TypeError)) throw new Error('rejects(fn) whose fn returns no promise is a TypeError');
    await assert.doesNotReject(Promise.resolve(1));
    await failsAsync(() => assert.doesNotReject(Promise.reject(new Error('n'))), 'doesNotReject', 'Got unwanted rejection.\nActual message: "n"');
  });
});
