// Copy a tree out of the kernel to the host (the host directory must be granted).
// rumpjs --image disk.img --allow-host ./out run scripts/copy-out.js /ffs/etc ./out/etc
const [from = '/ffs', to] = process.argv.slice(2);
if (!to) {
  console.error('usage: rumpjs --image IMG --allow-host HOSTDIR run scripts/copy-out.js KERNELPATH HOSTDIR/NAME');
  process.exit(2);
}
const r = rump.host.copyOut(from, to);
console.log(`${from} -> ${to}: ${r.files} files, ${r.dirs} directories, ${r.links} links, ${r.bytes} bytes`);
