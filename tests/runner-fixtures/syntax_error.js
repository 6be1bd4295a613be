// rumpjs test fixture: a file that does not parse is a failure of that file.
import { test } from 'rumpjs:test';

test('never registered', () => {
  const x = ;
});
