// rumpjs test fixture: endless recursion is a RangeError Boa raises past every catch: it ends the file's
// process in the middle of a test.
import { test } from 'rumpjs:test';

test('before', () => {});

test('recurses forever', () => {
  const f = () => f() + 1;
  f();
});

test('after', () => {});
