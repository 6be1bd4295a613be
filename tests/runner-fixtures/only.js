// rumpjs test fixture: only the .only tests (and the tests of .only suites) run.
import { test, describe } from 'rumpjs:test';

test('not this one', () => {
  throw new Error('ran although another test is only');
});
test.only('this one', () => {});
describe('suite', () => {
  test('not this either', () => {
    throw new Error('ran although another test is only');
  });
  test.only('but this', () => {});
});
describe.only('only suite', () => {
  test('all of it', () => {});
  test('really all', () => {});
});
