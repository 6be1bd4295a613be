// rumpjs test fixture: everything passes (a second file, for --jobs); node:test and assert/strict resolve too.
import { test, describe, it } from 'node:test';
import assert from 'assert/strict';

describe('math', () => {
  it('adds', () => assert.equal(2 + 2, 4));
  it('compares deeply', () => assert.deepEqual([1, { a: 2 }], [1, { a: 2 }]));
});

test('the kernel is fresh in every file', () => {
  assert.deepEqual(fs.readdirSync('/tmp'), []);
  fs.writeFileSync('/tmp/marker', 'x');
  assert.equal(fs.readFileSync('/kern/ostype', 'utf8'), 'NetBSD\n');
});

test('throws and rejects match codes and regexps', async () => {
  assert.throws(() => fs.readFileSync('/nope'), { code: 'ENOENT', errno: 2 });
  assert.throws(() => fs.readFileSync('/nope'), /ENOENT/);
  await assert.rejects(fs.promises.readFile('/nope'), { code: 'ENOENT' });
  assert.match('NetBSD', /BSD$/);
});
