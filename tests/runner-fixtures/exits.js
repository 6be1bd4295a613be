// rumpjs test fixture: process.exit() inside a test ends the file's process before its tests finish.
import { test } from 'rumpjs:test';

test('first', () => {});

test('exits the process', () => {
  process.exit(0);
});

test('never run', () => {});
