// rumpjs test fixture: the images of `rumpjs test --image` (runtime/tests/test_runner.rs). Each file runs in
// a fresh kernel with the image on /ffs; the second test writes there, which only --overlay or --rw allow.
import { test } from 'rumpjs:test';
import assert from 'assert';

test('the image is on /ffs', () => {
  const m = rump.mounts().find((x) => x.on === '/ffs');
  assert.ok(m, 'nothing is mounted on /ffs');
  assert.strictEqual(m.type, 'ffs');
  console.log(`/ffs readonly=${m.readonly}`);
  assert.ok(fs.statSync('/ffs').isDirectory());
});

test('a write to /ffs', () => {
  assert.ok(!fs.existsSync('/ffs/written-by-image-js'), 'a write of an earlier file or run is seen');
  fs.writeFileSync('/ffs/written-by-image-js', 'x');
  assert.strictEqual(fs.readFileSync('/ffs/written-by-image-js', 'utf8'), 'x');
});
