// Evaluated once per session after boa_runtime's globals: the web and Node globals it has not — Event,
// EventTarget, AbortController/AbortSignal, URLSearchParams (and URL.prototype.searchParams, which
// boa_runtime's URL throws for), performance.now/timeOrigin, setImmediate/clearImmediate — as Node has
// them, in the shapes scripts use.
(() => {
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });

  class Event {
    #stop = false;
    constructor(type, init = {}) {
      if (arguments.length === 0) throw new TypeError('The "type" argument must be specified');
      this.type = String(type);
      this.bubbles = !!init.bubbles;
      this.cancelable = !!init.cancelable;
      this.defaultPrevented = false;
      this.timeStamp = performanceNow();
      this.target = null;
      this.currentTarget = null;
    }
    preventDefault() {
      if (this.cancelable) this.defaultPrevented = true;
    }
    stopImmediatePropagation() {
      this.#stop = true;
    }
    stopPropagation() {}
    get [Symbol.for('rumpjs.stopped')]() {
      return this.#stop;
    }
  }

  class EventTarget {
    #listeners = new Map();
    addEventListener(type, listener, options) {
      if (listener === null || listener === undefined) return;
      const once = typeof options === 'object' && options !== null && !!options.once;
      const signal = typeof options === 'object' && options !== null ? options.signal : undefined;
      if (signal && signal.aborted) return;
      const list = this.#listeners.get(type) ?? [];
      if (list.some((l) => l.listener === listener)) return;
      const entry = { listener, once };
      list.push(entry);
      this.#listeners.set(type, list);
      if (signal) signal.addEventListener('abort', () => this.removeEventListener(type, listener), { once: true });
    }
    removeEventListener(type, listener) {
      const list = this.#listeners.get(type);
      if (!list) return;
      const i = list.findIndex((l) => l.listener === listener);
      if (i >= 0) list.splice(i, 1);
    }
    dispatchEvent(event) {
      if (!(event instanceof Event)) throw new TypeError('The "event" argument must be an instance of Event');
      event.target = this;
      event.currentTarget = this;
      for (const entry of [...(this.#listeners.get(event.type) ?? [])]) {
        if (entry.once) this.removeEventListener(event.type, entry.listener);
        const l = entry.listener;
        if (typeof l === 'function') l.call(this, event);
        else if (l && typeof l.handleEvent === 'function') l.handleEvent(event);
        if (event[Symbol.for('rumpjs.stopped')]) break;
      }
      const handler = this['on' + event.type];
      if (typeof handler === 'function') handler.call(this, event);
      event.currentTarget = null;
      return !event.defaultPrevented;
    }
  }

  const domException = (message, name) => {
    if (typeof DOMException === 'function') return new DOMException(message, name);
    const e = new Error(message);
    e.name = name;
    return e;
  };

  class AbortSignal extends EventTarget {
    aborted = false;
    reason = undefined;
    onabort = null;
    throwIfAborted() {
      if (this.aborted) throw this.reason;
    }
    static abort(reason) {
      const c = new AbortController();
      c.abort(reason);
      return c.signal;
    }
    static timeout(ms) {
      const c = new AbortController();
      const t = setTimeout(() => c.abort(domException('The operation was aborted due to timeout', 'TimeoutError')), ms);
      if (t && typeof t.unref === 'function') t.unref();
      return c.signal;
    }
    static any(signals) {
      const c = new AbortController();
      for (const s of signals) {
        if (s.aborted) {
          c.abort(s.reason);
          break;
        }
        s.addEventListener('abort', () => c.abort(s.reason), { once: true });
      }
      return c.signal;
    }
  }

  class AbortController {
    #signal = new AbortSignal();
    get signal() {
      return this.#signal;
    }
    abort(reason) {
      const s = this.#signal;
      if (s.aborted) return;
      s.aborted = true;
      s.reason = reason === undefined ? domException('This operation was aborted', 'AbortError') : reason;
      s.dispatchEvent(new Event('abort'));
    }
  }

  // application/x-www-form-urlencoded, as the URL standard parses and serializes it.
  const decode = (s) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  const encode = (s) =>
    encodeURIComponent(s)
      .replace(/%20/g, '+')
      .replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

  class URLSearchParams {
    #list = [];
    #onchange = null;
    constructor(init = '') {
      if (typeof init === 'object' && init !== null) {
        if (typeof init[Symbol.iterator] === 'function') {
          for (const pair of init) {
            const p = [...pair];
            if (p.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
            this.#list.push([String(p[0]), String(p[1])]);
          }
        } else {
          for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
        }
      } else {
        let s = String(init);
        if (s.startsWith('?')) s = s.slice(1);
        for (const part of s.split('&')) {
          if (!part) continue;
          const i = part.indexOf('=');
          this.#list.push(i < 0 ? [decode(part), ''] : [decode(part.slice(0, i)), decode(part.slice(i + 1))]);
        }
      }
    }
    static [Symbol.for('rumpjs.bind')](params, onchange) {
      params.#onchange = onchange;
      return params;
    }
    #changed() {
      if (this.#onchange) this.#onchange(this.toString());
    }
    get size() {
      return this.#list.length;
    }
    append(name, value) {
      this.#list.push([String(name), String(value)]);
      this.#changed();
    }
    delete(name, value) {
      const n = String(name);
      this.#list = this.#list.filter(([k, v]) => k !== n || (value !== undefined && v !== String(value)));
      this.#changed();
    }
    get(name) {
      const e = this.#list.find(([k]) => k === String(name));
      return e ? e[1] : null;
    }
    getAll(name) {
      return this.#list.filter(([k]) => k === String(name)).map(([, v]) => v);
    }
    has(name, value) {
      return this.#list.some(([k, v]) => k === String(name) && (value === undefined || v === String(value)));
    }
    set(name, value) {
      const n = String(name);
      const i = this.#list.findIndex(([k]) => k === n);
      if (i < 0) this.#list.push([n, String(value)]);
      else {
        this.#list[i] = [n, String(value)];
        this.#list = this.#list.filter(([k], j) => k !== n || j === i);
      }
      this.#changed();
    }
    sort() {
      this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      this.#changed();
    }
    forEach(fn, thisArg) {
      for (const [k, v] of this.#list) fn.call(thisArg, v, k, this);
    }
    keys() {
      return this.#list.map(([k]) => k)[Symbol.iterator]();
    }
    values() {
      return this.#list.map(([, v]) => v)[Symbol.iterator]();
    }
    entries() {
      return this.#list.map(([k, v]) => [k, v])[Symbol.iterator]();
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    toString() {
      return this.#list.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
    }
    get [Symbol.toStringTag]() {
      return 'URLSearchParams';
    }
    [Symbol.for('nodejs.util.inspect.custom')]() {
      const o = {};
      for (const [k, v] of this.#list) o[k] = v;
      return Object.assign(new ({ URLSearchParams: class URLSearchParams {} }.URLSearchParams)(), o);
    }
  }

  if (typeof URL === 'function') {
    // URL.prototype.searchParams: a URLSearchParams that writes its changes back into the URL's search.
    Object.defineProperty(URL.prototype, 'searchParams', {
      configurable: true,
      enumerable: true,
      get() {
        const params = new URLSearchParams(this.search);
        return URLSearchParams[Symbol.for('rumpjs.bind')](params, (s) => {
          this.search = s;
        });
      },
    });
  }

  const origin = Date.now();
  const start = typeof process === 'object' && process.hrtime ? process.hrtime() : null;
  const performanceNow = () => {
    if (!start) return Date.now() - origin;
    const [s, ns] = process.hrtime(start);
    return s * 1e3 + ns / 1e6;
  };
  const performance = {
    timeOrigin: origin,
    now: performanceNow,
    toJSON() {
      return { timeOrigin: origin };
    },
  };

  // setImmediate: after the current job and its microtasks, before later timers of the same turn.
  let nextImmediate = 1;
  const immediates = new Map();
  class Immediate {
    constructor(id) {
      this[Symbol.for('rumpjs.immediate')] = id;
    }
    hasRef() {
      return true;
    }
    ref() {
      return this;
    }
    unref() {
      return this;
    }
  }
  const setImmediate = (fn, ...args) => {
    if (typeof fn !== 'function') {
      const e = new TypeError(`The "callback" argument must be of type function. Received ${fn === null ? 'null' : typeof fn}`);
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    const id = nextImmediate++;
    const handle = new Immediate(id);
    immediates.set(id, setTimeout(() => {
      immediates.delete(id);
      fn(...args);
    }, 0));
    return handle;
  };
  const clearImmediate = (handle) => {
    const id = handle && handle[Symbol.for('rumpjs.immediate')];
    if (immediates.has(id)) {
      clearTimeout(immediates.get(id));
      immediates.delete(id);
    }
  };

  define('Event', Event);
  define('EventTarget', EventTarget);
  define('AbortController', AbortController);
  define('AbortSignal', AbortSignal);
  define('URLSearchParams', URLSearchParams);
  define('performance', performance);
  define('setImmediate', setImmediate);
  define('clearImmediate', clearImmediate);
})();
