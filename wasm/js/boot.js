// The page's first script (a classic one, run as the page's head is read, before its modules load): it
// starts the kernel's worker, which boots at once (with the demo image on /ffs unless another image is to
// go there: ?image=, or an image rumpjs serve names in its rumpjs-images meta tag), and compiles the
// kernel module for it. page.js takes the worker over, with what it has said in the meantime.
(() => {
  const worker = new Worker('worker.js', { type: 'module' });
  const early = [];
  worker.onmessage = worker.onerror = (e) => {
    early.push(e);
  };
  const served = JSON.parse(document.querySelector('meta[name="rumpjs-images"]')?.content || '[]');
  const demo = !new URLSearchParams(location.search).has('image') && !served.some((s) => s.on === '/ffs');
  // The kernel module, fetched and compiled here while the worker starts (a worker takes tens of ms to
  // start), and handed to it compiled. Where the page cannot compile it (a policy without
  // 'wasm-unsafe-eval', a server that does not say application/wasm), the worker fetches it itself.
  let wasm = null;
  try {
    wasm = WebAssembly.compileStreaming(fetch('kernel_bg.wasm'));
  } catch {}
  worker.postMessage({ id: 0, op: 'boot', demo, wasmFromPage: !!wasm });
  wasm?.then(
    (module) => worker.postMessage({ op: 'module', module }),
    () => worker.postMessage({ op: 'module', module: null }),
  );
  window.rumpjsKernel = { worker, early };
})();
