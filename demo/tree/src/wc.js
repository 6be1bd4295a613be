// Count lines, words and bytes of the files named in process.argv, like wc(1).
// Try: .load /ffs/src/wc.js   or   rumpjs run --image demo.img wc.js /ffs/README
for (const f of process.argv.slice(2)) {
  const text = fs.readFileSync(f, 'utf8');
  const lines = text.split('\n').length - 1;
  const words = text.split(/\s+/).filter(Boolean).length;
  console.log(`${String(lines).padStart(7)} ${String(words).padStart(7)} ${String(fs.statSync(f).size).padStart(7)} ${f}`);
}
