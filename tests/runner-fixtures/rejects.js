// rumpjs test fixture: failures of the asynchronous assertions point at the test's line
// (runtime/tests/test_runner.rs).
import { test } from 'rumpjs:test';
import assert from 'assert';

test('rejects without a rejection', async () => {
  await assert.rejects(Promise.resolve(1), { code: 'EROFS' });
});

test('rejects with another code', async () => {
  await assert.rejects(async () => { throw Object.assign(new Error('no'), { code: 'EACCES' }); }, { code: 'EROFS' });
});

test('doesNotReject with a rejection', async () => {
  await assert.doesNotReject(Promise.reject(new Error('nope')));
});
