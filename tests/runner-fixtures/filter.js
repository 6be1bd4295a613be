// rumpjs test fixture: --filter by substring and /regex/flags of the full name.
import { test, describe } from 'rumpjs:test';

test('alpha one', () => {});
test('alpha two', () => {});
test('beta', () => {});
describe('group', () => {
  test('gamma', () => {});
  test('ONE more', () => {});
});
