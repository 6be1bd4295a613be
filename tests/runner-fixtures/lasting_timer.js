// rumpjs test fixture: a test that times out leaves a long timer behind; the run should not wait for it.
import { test } from 'rumpjs:test';

test('waits for a timer far past the timeout', async () => {
  await new Promise((r) => setTimeout(r, 60000));
});
