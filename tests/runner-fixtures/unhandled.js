// rumpjs test fixture: a rejection nobody handles, left behind by a test that itself passes.
import { test } from 'rumpjs:test';

test('leaves a rejection behind', () => {
  Promise.reject(new Error('nobody catches me'));
});

test('next', () => {});
