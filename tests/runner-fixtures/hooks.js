// rumpjs test fixture: the order of hooks. The after hook at the end checks the log and fails the run if
// the order is wrong.
import { test, describe, before, after, beforeEach, afterEach } from 'rumpjs:test';
import assert from 'assert';

const log = [];
before(() => log.push('before'));
beforeEach((t) => log.push(`beforeEach ${t.name}`));
afterEach((t) => log.push(`afterEach ${t.name}`));

test('first', () => log.push('test first'));

describe('inner', () => {
  before(() => log.push('inner before'));
  beforeEach((t) => log.push(`inner beforeEach ${t.name}`));
  afterEach((t) => log.push(`inner afterEach ${t.name}`));
  after(() => log.push('inner after'));
  test('second', async () => {
    await null;
    log.push('test second');
  });
});

test('third', () => log.push('test third'));

after(() => {
  log.push('after');
  assert.deepStrictEqual(log, [
    'before',
    'beforeEach first', 'test first', 'afterEach first',
    'inner before',
    'beforeEach second', 'inner beforeEach second', 'test second', 'inner afterEach second', 'afterEach second',
    'inner after',
    'beforeEach third', 'test third', 'afterEach third',
    'after',
  ]);
  console.log('hook order checked');
});
