// An image the caller gives `k.mount` as a block device object for host.js's table: read synchronously at
// an offset, a block at a time (the kernel asks for what it needs; an image is never read whole).
//   Uint8Array / ArrayBuffer   in memory (written in place when mounted writable)
//   Blob / File                in a Worker, FileReaderSync over slices; elsewhere an error saying so
//   URL                        in a Worker, synchronous XMLHttpRequests with a Range header when the server
//                              answers them (206); fetched whole when it does not
//   string                     Node only: a host path, read and written with positioned fs calls
// Nothing else reaches the kernel: a page's kernel sees only the images its user gave it.

/** The device for `image`; `nodeFs` is node:fs where there is one. */
export function openImage(image, { readonly, nodeFs }) {
  if (image instanceof ArrayBuffer) image = new Uint8Array(image);
  if (ArrayBuffer.isView(image)) {
    const bytes = new Uint8Array(image.buffer, image.byteOffset, image.byteLength);
    return {
      size: bytes.length,
      label: `memory, ${bytes.length} bytes`,
      readInto(off, buf) { buf.set(bytes.subarray(off, off + buf.length)); },
      write(off, data) { bytes.set(data, off); },
    };
  }
  if (typeof Blob !== 'undefined' && image instanceof Blob) return blobDevice(image);
  if (typeof URL !== 'undefined' && image instanceof URL) return urlDevice(image, { readonly, nodeFs });
  if (typeof image === 'string') {
    if (!nodeFs) throw invalid('options.image', 'a host path is opened only in Node; give a Uint8Array, Blob or File', image);
    const fd = nodeFs.openSync(image, readonly ? 'r' : 'r+');
    const st = nodeFs.fstatSync(fd);
    if (st.isDirectory()) { nodeFs.closeSync(fd); throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${image}'`), { code: 'EISDIR', syscall: 'open', path: image }); }
    return {
      size: st.size,
      label: image,
      readInto(off, buf) {
        let done = 0;
        while (done < buf.length) {
          const n = nodeFs.readSync(fd, buf, done, buf.length - done, off + done);
          if (n <= 0) throw new Error(`short read at ${off + done} of ${image}`);
          done += n;
        }
      },
      write(off, data) {
        let done = 0;
        while (done < data.length) done += nodeFs.writeSync(fd, data, done, data.length - done, off + done);
      },
      close() { nodeFs.closeSync(fd); },
    };
  }
  throw invalid('options.image', 'must be a Uint8Array, ArrayBuffer, Blob, File or (in Node) a host path', image);
}

// Reads through a cache of aligned windows, for sources where each read costs far more than the bytes
// it brings (a FileReaderSync call, an HTTP request): a read brings the aligned WINDOW around it, and the
// last WINDOWS of them are kept (at most 32 MiB). A walk of many small files reads each window once, and
// a large image is still never read whole. `get(start, end)` gives the source's bytes start..end.
const WINDOW = 1 << 20;
const WINDOWS = 32;
function windowed(size, label, get, cache = new Map() /* window number → bytes, oldest first */) {
  const window = (w) => {
    let bytes = cache.get(w);
    if (bytes) cache.delete(w);
    else bytes = get(w * WINDOW, Math.min(size, (w + 1) * WINDOW));
    cache.set(w, bytes);
    if (cache.size > WINDOWS) cache.delete(cache.keys().next().value);
    return bytes;
  };
  return {
    size,
    label,
    readInto(off, buf) {
      for (let done = 0; done < buf.length;) {
        const at = off + done;
        const bytes = window(Math.floor(at / WINDOW));
        const start = at % WINDOW;
        const n = Math.min(buf.length - done, bytes.length - start);
        if (n <= 0) throw new Error(`short read at ${at} of ${size}`);
        buf.set(bytes.subarray(start, start + n), done);
        done += n;
      }
    },
  };
}

// A Blob read in slices with FileReaderSync (only Workers have it; the page's main thread cannot read a
// Blob synchronously). Writes to a Blob-backed image go to an overlay, never to the Blob.
function blobDevice(blob) {
  if (typeof FileReaderSync === 'undefined') {
    throw invalid('options.image', 'is a Blob, read block by block only in a Worker (FileReaderSync); '
      + 'here give new Uint8Array(await blob.arrayBuffer())', blob);
  }
  const reader = new FileReaderSync();
  const label = blob.name ? blob.name : `blob, ${blob.size} bytes`;
  return windowed(blob.size, label, (start, end) => new Uint8Array(reader.readAsArrayBuffer(blob.slice(start, end))));
}

// An image at a URL, read with synchronous XMLHttpRequests (a Worker may make them, with an
// ArrayBuffer answer; the page's main thread may not). The first asks for the first window with a Range
// header: a 206 answer says the image's size (Content-Range) and the device reads windows by Range from
// then on; a 200 answer is a server without ranges, and its body is the whole image, kept in memory.
// Writes go to an overlay, never to the server.
function urlDevice(url, opts) {
  if (typeof XMLHttpRequest === 'undefined' || typeof WorkerGlobalScope === 'undefined') {
    throw invalid('options.image', 'is a URL, read by synchronous requests only in a Worker; '
      + 'here give new Uint8Array(await (await fetch(url)).arrayBuffer())', url);
  }
  const get = (range) => {
    const x = new XMLHttpRequest();
    x.open('GET', url.href, false);
    x.responseType = 'arraybuffer';
    if (range) x.setRequestHeader('Range', `bytes=${range[0]}-${range[1] - 1}`);
    try {
      x.send();
    } catch (e) {
      throw new Error(`${url.href}: ${e.message}`);
    }
    if (x.status !== 200 && x.status !== 206) throw new Error(`${url.href}: ${x.status} ${x.statusText}`);
    return x;
  };
  const first = get([0, WINDOW]);
  const total = /^bytes 0-\d+\/(\d+)$/.exec(first.getResponseHeader('Content-Range') ?? '');
  if (first.status !== 206 || !total) {
    // No ranges (or a Content-Range this page may not read): the whole image, as fetched.
    const whole = first.status === 200 ? first : get();
    return { ...openImage(new Uint8Array(whole.response), opts), label: url.href };
  }
  const size = Number(total[1]);
  const head = new Uint8Array(first.response);
  const cache = new Map(head.length === Math.min(size, WINDOW) ? [[0, head]] : []);
  return windowed(size, url.href, (start, end) => {
    const x = get([start, end]);
    const bytes = new Uint8Array(x.response);
    if (x.status !== 206 || bytes.length !== end - start) {
      throw new Error(`${url.href}: asked for bytes ${start}-${end - 1}, got ${x.status} with ${bytes.length} bytes`);
    }
    return bytes;
  }, cache);
}

function invalid(name, why, got) {
  const e = new TypeError(`The argument '${name}' ${why}. Received ${typeof got}`);
  e.code = 'ERR_INVALID_ARG_VALUE';
  return e;
}
