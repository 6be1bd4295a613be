// scripts/lib/format.js against what NetBSD prints: humanize_number(3) as ls -h, df -h and du -h call it
// (each value worked through its C arithmetic by hand), strmode(3) for every file type and special bit,
// the file flags' names, ls's six-month rule for dates, stat's time, major()/minor() of a dev_t, and the
// two path helpers.

import { test, describe } from 'rumpjs:test';
import assert from 'assert';
import { strmode, flagsString, humanize, lsDate, statTime, major, minor, childPath, parentPath } from 'rumpjs:format';

describe('humanize: humanize_number(3) into 5 bytes, HN_DECIMAL | HN_B | HN_NOSPACE', () => {
  const cases = (list) => {
    for (const [n, want] of list) assert.strictEqual(humanize(n), want, `humanize(${n})`);
  };
  test('up to 999 bytes as they are', () => cases([[0, '0B'], [1, '1B'], [512, '512B'], [999, '999B']]));
  // 1000 no longer fits in four characters: 100000 / 1024 = 97, (97 + 5) / 10 = 10 tenths.
  test('from 1000 bytes, a unit with one decimal below 9.95 of it', () =>
    cases([[1000, '1.0K'], [1023, '1.0K'], [1024, '1.0K'], [1536, '1.5K'], [10188, '9.9K'], [4 << 20, '4.0M']]));
  // 10189 * 100 / 1024 = 995: no decimal any more, (995 + 50) / 100 = 10.
  test('whole units from 9.95 on, rounded', () =>
    cases([[10189, '10K'], [10240, '10K'], [65536, '64K'], [999 * 1024, '999K'], [500 * 1024 * 1024, '500M']]));
  // 1023 KiB: 102300 >= 99950 divides once more, to 99 (0.99 M), shown as 1.0M.
  test('a value that would round up to five characters takes the next unit', () =>
    cases([[1023 * 1024, '1.0M'], [1024 * 1024 - 1, '1.0M'], [1023 * 1024 * 1024, '1.0G']]));
  test('the largest sizes: P and E', () => cases([[2 ** 53, '8.0P'], [2 ** 62, '4.0E']]));
  test('a negative count keeps its sign, with one character less for digits', () => cases([[-1, '-1B'], [-5000, '-4.9K']]));
});

describe('strmode', () => {
  test('every file type letter', () => {
    const types = [
      [0o100644, '-rw-r--r--'], [0o040755, 'drwxr-xr-x'], [0o120777, 'lrwxrwxrwx'], [0o020620, 'crw--w----'],
      [0o060640, 'brw-r-----'], [0o010644, 'prw-r--r--'], [0o140755, 'srwxr-xr-x'], [0o160000, 'w---------'],
      [0o000644, '?rw-r--r--'],
    ];
    for (const [mode, want] of types) assert.strictEqual(strmode(mode), want, mode.toString(8));
  });
  test('set-user-ID, set-group-ID and sticky: lower case over x, upper case without it', () => {
    const special = [
      [0o104755, '-rwsr-xr-x'], [0o104644, '-rwSr--r--'], [0o102755, '-rwxr-sr-x'], [0o102745, '-rwxr-Sr-x'],
      [0o041777, 'drwxrwxrwt'], [0o041776, 'drwxrwxrwT'], [0o107000, '---S--S--T'], [0o107777, '-rwsrwsrwt'],
    ];
    for (const [mode, want] of special) assert.strictEqual(strmode(mode), want, mode.toString(8));
  });
});

test("flagsString: flags_to_string's names, '-' for none", () => {
  assert.strictEqual(flagsString(0), '-');
  assert.strictEqual(flagsString(0x00000002), 'uchg');
  assert.strictEqual(flagsString(0x00000001 | 0x00020000 | 0x00200000), 'nodump,schg,snap');
  assert.strictEqual(flagsString(0x00001000), '-', 'a bit with no name');
});

describe("lsDate: ls -l's printtime, in UTC", () => {
  const now = Date.UTC(2024, 0, 15, 12, 0, 30);
  const day = 86400 * 1000;
  test('hours and minutes within six months (182 days) either side of now', () => {
    assert.strictEqual(lsDate(now, now), 'Jan 15 12:00');
    assert.strictEqual(lsDate(now - 182 * day + 1000, now), 'Jul 17 12:00');
    assert.strictEqual(lsDate(now + 182 * day - 1000, now), 'Jul 15 12:00');
  });
  test('the year from six months on, in the past and the future', () => {
    assert.strictEqual(lsDate(now - 182 * day, now), 'Jul 17  2023');
    assert.strictEqual(lsDate(now + 182 * day, now), 'Jul 15  2024');
    assert.strictEqual(lsDate(Date.UTC(2012, 5, 1), now), 'Jun  1  2012');
  });
});

test("statTime: stat's time in UTC, to the nanosecond the milliseconds hold", () => {
  assert.strictEqual(statTime(Date.UTC(2012, 5, 1)), '2012-06-01 00:00:00.000000000 +0000');
  assert.strictEqual(statTime(Date.UTC(2024, 0, 15, 12, 0, 30) + 123.5), '2024-01-15 12:00:30.123500000 +0000');
});

test("major and minor: NetBSD's dev_t split (minor's high bits above bit 19)", () => {
  const makedev = (x, y) => (((x << 8) & 0x000fff00) | ((y << 12) & 0xfff00000) | (y & 0xff)) >>> 0;
  for (const [x, y] of [[4, 12], [0, 0], [4095, 255], [4095, 1048575], [17, 256]]) {
    assert.deepStrictEqual([major(makedev(x, y)), minor(makedev(x, y))], [x, y], `${x}, ${y}`);
  }
});

test('childPath and parentPath', () => {
  assert.strictEqual(childPath('/', 'etc'), '/etc');
  assert.strictEqual(childPath('/ffs', 'etc'), '/ffs/etc');
  assert.strictEqual(childPath('.', 'etc'), './etc');
  assert.strictEqual(parentPath('/ffs/etc'), '/ffs');
  assert.strictEqual(parentPath('/ffs'), '/');
  assert.strictEqual(parentPath('/'), '/');
});
