// cat: files from the kernel to stdout, as bytes.
// rumpjs --image disk.img run scripts/cat.js /ffs/etc/motd [...]
let status = 0;
for (const file of process.argv.slice(2)) {
  try {
    process.stdout.write(fs.readFileSync(file));
  } catch (e) {
    console.error(`cat: ${file}: ${e.message}`);
    status = 1;
  }
}
process.exitCode = status;
