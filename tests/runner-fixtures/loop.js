// rumpjs test fixture: a synchronous endless loop cannot be interrupted from inside: the runner stops
// the file's process and reports the test.
import { test } from 'rumpjs:test';

test('before the loop', () => {});

test('spins forever', () => {
  for (;;) {}
});

test('never reached', () => {});
