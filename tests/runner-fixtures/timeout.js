// rumpjs test fixture: tests past their timeout fail, the others go on.
import { test } from 'rumpjs:test';

test('too slow', async () => {
  await new Promise((r) => setTimeout(r, 3000));
});

test('own timeout', { timeout: 50 }, async () => {
  await new Promise((r) => setTimeout(r, 3000));
});

test('callback never called', (t, done) => {});

test('quick', async () => {
  await new Promise((r) => setTimeout(r, 1));
});
