// Prints the last section of docs/js-api.md ("Every native binding") from rump.signatures():
//   rumpjs run docs/bindings-table.js
const s = rump.signatures(); const groups = {};
for (const [k, v] of Object.entries(s)) { const g = k.slice(0, k.lastIndexOf('.')); (groups[g] ??= []).push([k, v]); }
const out = [];
for (const [g, rows] of Object.entries(groups)) {
  out.push(`### \`${g}\``, '', '| name | signature |', '| --- | --- |');
  for (const [k, v] of rows) out.push(`| \`${k}\` | \`${v.replaceAll('|', '\\|')}\` |`);
  out.push('');
}
console.log(out.join('\n').trimEnd());
