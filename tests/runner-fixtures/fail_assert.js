// rumpjs test fixture: failing assertions (runtime/tests/test_runner.rs).
import { test } from 'rumpjs:test';
import assert from 'assert';

test('adds up', () => {
  assert.strictEqual(1 + 1, 2);
});

test('strictEqual fails', () => {
  assert.strictEqual(1 + 1, 3);
});

test('deepStrictEqual fails', () => {
  assert.deepStrictEqual({ name: 'rumpjs', list: [1, 2, 3] }, { name: 'rumpjs', list: [1, 2, 4] });
});

test('output of a failing test is shown', () => {
  console.log('some output before the failure');
  assert.ok(false, 'it was false');
});
