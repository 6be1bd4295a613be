// rumpjs test fixture: the test's own directory is readable, not writable: an image beside the test
// mounts read-only or as an overlay, never read-write in place.
import { test } from 'rumpjs:test';
import assert from 'assert';

test('an image beside the test cannot be mounted read-write', () => {
  fs.mkdirSync('/mnt/rw', { recursive: true });
  const image = `${import.meta.dirname}/image.img`;
  assert.throws(() => rump.mount('ffs', '/mnt/rw', { image }), { code: 'ERR_ACCESS_DENIED' });
});

test('nor written by rump.host.copyOut', () => {
  fs.writeFileSync('/tmp/x', 'x');
  assert.throws(() => rump.host.copyOut('/tmp/x', `${import.meta.dirname}/written-by-a-test`), { code: 'ERR_ACCESS_DENIED' });
});
