// rumpjs test fixture: errors thrown and promises rejected fail their tests.
import { test } from 'rumpjs:test';

test('throws', () => {
  throw new Error('boom');
});

test('returns a rejected promise', () => Promise.reject(new Error('rejected on purpose')));

test('async function throws later', async () => {
  await new Promise((r) => setTimeout(r, 10));
  throw new TypeError('late failure');
});

test('callback with an error', (t, done) => {
  setTimeout(() => done(new Error('callback error')), 5);
});

test('throws a non-error', () => {
  throw 42;
});

test('kernel error', () => {
  fs.readFileSync('/nonexistent/file');
});

test('passes', () => {});

test('async passes', async () => {
  await new Promise((r) => setTimeout(r, 5));
});

test('callback passes', (t, done) => {
  setTimeout(done, 5);
});
