// rumpjs test fixture: skip, todo, t.skip() and suites of them.
import { test, describe } from 'rumpjs:test';

test('runs', () => {});
test.skip('skipped', () => {
  throw new Error('a skipped test ran');
});
test('skipped by option', { skip: 'not on this kernel' }, () => {
  throw new Error('a skipped test ran');
});
test.todo('not written yet');
test('todo that fails', { todo: 'known bug' }, () => {
  throw new Error('known');
});
test('skips itself', (t) => {
  t.skip('decided at run time');
});
describe.skip('skipped suite', () => {
  test('inside', () => {
    throw new Error('a test of a skipped suite ran');
  });
});
