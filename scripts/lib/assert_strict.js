// node:assert/strict: the strict comparisons under every name (equal is strictEqual, deepEqual is
// deepStrictEqual, ...).
import { strict } from './assert.js';

export const {
  AssertionError,
  ok,
  strictEqual,
  notStrictEqual,
  deepStrictEqual,
  notDeepStrictEqual,
  throws,
  doesNotThrow,
  rejects,
  doesNotReject,
  match,
  doesNotMatch,
  fail,
  ifError,
} = strict;
export const equal = strict.strictEqual;
export const notEqual = strict.notStrictEqual;
export const deepEqual = strict.deepStrictEqual;
export const notDeepEqual = strict.notDeepStrictEqual;
export { strict };
export default strict;
