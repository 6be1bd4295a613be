// File facts as NetBSD's tools print them (mode strings, file flags, sizes, times, device numbers), and
// the two path helpers every listing needs. Pure functions with no imports: the shell-like commands
// (commands.js, find.js), the example scripts (as 'rumpjs:format') and the web page (served as
// /format.js, loaded with no build step) share this one copy.

export const S_IFMT = 0o170000;
/// strmode(3)'s file-type letters (S_IFWHT is a whiteout).
const TYPE_LETTER = {
  0o010000: 'p', 0o020000: 'c', 0o040000: 'd', 0o060000: 'b', 0o100000: '-', 0o120000: 'l', 0o140000: 's',
  0o160000: 'w',
};
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/// humanize_number(3)'s binary prefixes with HN_B.
const PREFIXES = ['B', 'K', 'M', 'G', 'T', 'P', 'E'];
/// ls's SIXMONTHS: (365 / 2) days, in C's integer division.
const SIX_MONTHS_S = 182 * 86400;

/// strmode(3) without its trailing space: the type letter, then rwx for owner, group and others, with
/// set-user-ID and set-group-ID as s (S without x) and the sticky bit as t (T without x): '-rwsr-xr-t'.
export function strmode(mode) {
  const r = (bit, ch) => (mode & bit ? ch : '-');
  const x = (exec, special, set) => (mode & special ? (mode & exec ? set : set.toUpperCase()) : r(exec, 'x'));
  return (TYPE_LETTER[mode & S_IFMT] ?? '?') +
    r(0o400, 'r') + r(0o200, 'w') + x(0o100, 0o4000, 's') +
    r(0o040, 'r') + r(0o020, 'w') + x(0o010, 0o2000, 's') +
    r(0o004, 'r') + r(0o002, 'w') + x(0o001, 0o1000, 't');
}

/// File flags as NetBSD's ls -o and stat show them (flags_to_string).
export const FLAG_NAMES = [
  [0x00000001, 'nodump'], [0x00000002, 'uchg'], [0x00000004, 'uappnd'], [0x00000008, 'opaque'],
  [0x00010000, 'arch'], [0x00020000, 'schg'], [0x00040000, 'sappnd'], [0x00200000, 'snap'],
];

/// The flags as ls -o and stat show them: their names joined by commas, '-' for none.
export function flagsString(flags) {
  const names = FLAG_NAMES.filter(([b]) => flags & b).map(([, n]) => n);
  return names.length ? names.join(',') : '-';
}

/// A byte count as ls -h, df -h and du -h print it: humanize_number(3) into their 5-byte buffer with
/// HN_AUTOSCALE and HN_DECIMAL | HN_B | HN_NOSPACE: '999B', '1.0K' (from 1000 bytes on), '9.9K', '10K',
/// '999M', '1.0G'. Integer arithmetic as the C code does it (BigInt: no size loses its low digits).
export function humanize(n) {
  let bytes = BigInt(Math.trunc(Number(n) || 0));
  const neg = bytes < 0n;
  if (neg) bytes = -bytes;
  // Room for 5 - 1 characters: a digit and the prefix (and the sign) always, the rest for digits.
  const baselen = neg ? 3 : 2;
  const max = 100n * 10n ** BigInt(5 - baselen);
  bytes *= 100n;
  let i = 0;
  // Divide until it fits; once more if the rounding below would overflow.
  while (bytes >= max - 50n && i < PREFIXES.length - 1) {
    bytes /= 1024n;
    i++;
  }
  const sign = neg ? -1n : 1n;
  if (bytes < 995n && i > 0) {
    const b = (bytes + 5n) / 10n;
    return `${sign * (b / 10n)}.${b % 10n}${PREFIXES[i]}`;
  }
  return `${sign * ((bytes + 50n) / 100n)}${PREFIXES[i]}`;
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

/// ls -l's date (printtime, in UTC): 'Jun  1 12:00' within six months either side of now,
/// 'Jun  1  2012' otherwise. Times in milliseconds, compared in whole seconds as time_t is.
export function lsDate(ms, nowMs) {
  const d = new Date(ms);
  const t = Math.floor(ms / 1000);
  const now = Math.floor(nowMs / 1000);
  const recent = t + SIX_MONTHS_S > now && t < now + SIX_MONTHS_S;
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const tail = recent ? `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}` : ` ${d.getUTCFullYear()}`;
  return `${MONTHS[d.getUTCMonth()]} ${day} ${tail}`;
}

/// stat's time, from milliseconds: '2012-06-01 00:00:00.000000000 +0000' (UTC).
export function statTime(ms) {
  const d = new Date(Math.floor(ms));
  const frac = String(Math.round((ms % 1000) * 1e6)).padStart(9, '0');
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${frac} +0000`;
}

/// NetBSD's major() of a dev_t: bits 8–19.
export function major(rdev) {
  return (rdev & 0x000fff00) >>> 8;
}

/// NetBSD's minor() of a dev_t: bits 0–7, and bits 20–31 above them.
export function minor(rdev) {
  return ((rdev & 0xfff00000) >>> 12) | (rdev & 0xff);
}

/// The path of `name` in directory `dir`, as a walk builds it (fts does the same): '/' + name at the
/// root, dir + '/' + name elsewhere; nothing normalised.
export function childPath(dir, name) {
  return dir === '/' ? '/' + name : dir + '/' + name;
}

/// The directory holding absolute path `p` (no trailing slash): '/' for '/' and for '/name'.
export function parentPath(p) {
  return p.replace(/\/[^/]+$/, '') || '/';
}
