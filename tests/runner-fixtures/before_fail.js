// rumpjs test fixture: a failing before hook fails every test of its suite; the others run.
import { test, describe, before } from 'rumpjs:test';

describe('broken setup', () => {
  before(() => {
    throw new Error('setup broke');
  });
  test('a', () => {});
  test('b', () => {});
});

test('outside', () => {});
