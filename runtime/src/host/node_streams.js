// Node's `events` and `stream` modules in the shapes scripts use, and what `fs` builds on them and on the
// kernel's own calls: createReadStream/createWriteStream, opendir/Dir, glob/globSync. Evaluated once per
// session with the session's fs and path; returns the modules for the loader (session.rs).
((fs, path, crypto) => {
  const kEvents = Symbol('events');
  const listenersOf = (ee) => {
    if (!Object.prototype.hasOwnProperty.call(ee, kEvents)) {
      Object.defineProperty(ee, kEvents, { value: new Map(), configurable: true });
    }
    return ee[kEvents];
  };
  const argType = (name, want, v) => {
    const e = new TypeError(`The "${name}" argument must be of type ${want}. Received ${v === null ? 'null' : typeof v}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    return e;
  };

  // ---------------------------------------------------------------- events

  // Not a private method: objects that only inherit EventEmitter.prototype (crypto's Hash) use it too.
  const add = (ee, name, fn, prepend, once) => {
    if (typeof fn !== 'function') throw argType('listener', 'function', fn);
    const m = listenersOf(ee);
    if (m.has('newListener') && name !== 'newListener') ee.emit('newListener', name, fn);
    const list = m.get(name) ?? [];
    const entry = { fn, once };
    if (prepend) list.unshift(entry);
    else list.push(entry);
    m.set(name, list);
    return ee;
  };

  class EventEmitter {
    static defaultMaxListeners = 10;
    constructor() {
      listenersOf(this);
    }
    on(name, fn) {
      return add(this, name, fn, false, false);
    }
    addListener(name, fn) {
      return add(this, name, fn, false, false);
    }
    prependListener(name, fn) {
      return add(this, name, fn, true, false);
    }
    once(name, fn) {
      return add(this, name, fn, false, true);
    }
    prependOnceListener(name, fn) {
      return add(this, name, fn, true, true);
    }
    off(name, fn) {
      return this.removeListener(name, fn);
    }
    removeListener(name, fn) {
      const m = listenersOf(this);
      const list = m.get(name);
      if (!list) return this;
      const i = list.findLastIndex((e) => e.fn === fn);
      if (i >= 0) {
        list.splice(i, 1);
        if (!list.length) m.delete(name);
        if (m.has('removeListener')) this.emit('removeListener', name, fn);
      }
      return this;
    }
    removeAllListeners(name) {
      const m = listenersOf(this);
      if (name === undefined) m.clear();
      else m.delete(name);
      return this;
    }
    emit(name, ...args) {
      const list = listenersOf(this).get(name);
      if (!list || !list.length) {
        if (name === 'error') {
          const e = args[0];
          if (e instanceof Error) throw e;
          const err = new Error(`Unhandled error. (${String(e)})`);
          err.code = 'ERR_UNHANDLED_ERROR';
          err.context = e;
          throw err;
        }
        return false;
      }
      for (const entry of [...list]) {
        if (entry.once) this.removeListener(name, entry.fn);
        entry.fn.apply(this, args);
      }
      return true;
    }
    listeners(name) {
      return (listenersOf(this).get(name) ?? []).map((e) => e.fn);
    }
    rawListeners(name) {
      return this.listeners(name);
    }
    listenerCount(name) {
      return (listenersOf(this).get(name) ?? []).length;
    }
    eventNames() {
      return [...listenersOf(this).keys()];
    }
    setMaxListeners() {
      return this;
    }
    getMaxListeners() {
      return EventEmitter.defaultMaxListeners;
    }
    /// A promise for the next `name` event's arguments (rejected by an 'error' event first).
    static once(ee, name) {
      return new Promise((resolve, reject) => {
        const onError = (e) => {
          ee.removeListener(name, onEvent);
          reject(e);
        };
        const onEvent = (...args) => {
          if (name !== 'error') ee.removeListener('error', onError);
          resolve(args);
        };
        ee.once(name, onEvent);
        if (name !== 'error') ee.once('error', onError);
      });
    }
    static listenerCount(ee, name) {
      return ee.listenerCount(name);
    }
  }
  EventEmitter.EventEmitter = EventEmitter;
  const events = EventEmitter;

  // ---------------------------------------------------------------- stream

  const later = (fn) => Promise.resolve().then(fn);
  const toChunk = (chunk, encoding, objectMode) => {
    if (objectMode) return chunk;
    if (typeof chunk === 'string') return Buffer.from(chunk, encoding || 'utf8');
    if (chunk instanceof Uint8Array) return chunk instanceof Buffer ? chunk : Buffer.from(chunk);
    throw argType('chunk', 'string or an instance of Buffer or Uint8Array', chunk);
  };

  const notImplemented = (method) => {
    const e = new Error(`The ${method}() method is not implemented`);
    e.code = 'ERR_METHOD_NOT_IMPLEMENTED';
    return e;
  };
  /// Node's read-only stream properties (readableLength, writableEnded, …): fields of the side's state.
  const stateGetters = (C, stateKey, fields) => {
    for (const [name, field] of Object.entries(fields)) {
      Object.defineProperty(C.prototype, name, {
        configurable: true,
        get() {
          return this[stateKey][field];
        },
      });
    }
  };

  class Stream extends EventEmitter {
    pipe(dest, options) {
      return Readable.prototype.pipe.call(this, dest, options);
    }
  }

  class Readable extends Stream {
    constructor(options = {}) {
      super();
      this._readableState = {
        buffer: [],
        length: 0,
        flowing: null,
        ended: false,
        endEmitted: false,
        reading: false,
        scheduled: false,
        objectMode: !!(options.objectMode || options.readableObjectMode),
        highWaterMark: options.highWaterMark ?? (options.objectMode ? 16 : 16384),
        encoding: options.encoding ?? null,
        readCalled: false,
      };
      this.destroyed = false;
      if (typeof options.read === 'function') this._read = options.read;
      if (typeof options.destroy === 'function') this._destroy = options.destroy;
    }
    get readable() {
      return !this.destroyed && !this._readableState.endEmitted;
    }
    _read() {
      this.destroy(notImplemented('_read'));
    }
    push(chunk, encoding) {
      const st = this._readableState;
      st.reading = false;
      if (chunk === null) {
        st.ended = true;
      } else if (!st.ended && !this.destroyed) {
        const c = toChunk(chunk, encoding, st.objectMode);
        if (st.objectMode || c.length) {
          st.buffer.push(c);
          st.length += st.objectMode ? 1 : c.length;
        }
      }
      this.#schedule();
      return st.length < st.highWaterMark && !st.ended;
    }
    unshift(chunk) {
      const st = this._readableState;
      const c = toChunk(chunk, undefined, st.objectMode);
      st.buffer.unshift(c);
      st.length += st.objectMode ? 1 : c.length;
    }
    setEncoding(enc) {
      this._readableState.encoding = enc;
      return this;
    }
    #decode(c) {
      const enc = this._readableState.encoding;
      return enc && !this._readableState.objectMode ? c.toString(enc) : c;
    }
    /// Takes what is buffered (all of it, or `n` bytes), or null; asks for more below the high-water mark.
    read(n) {
      const st = this._readableState;
      st.readCalled = true;
      let out = null;
      if (st.buffer.length) {
        if (st.objectMode) {
          out = st.buffer.shift();
          st.length -= 1;
        } else if (n === undefined || n >= st.length) {
          out = st.buffer.length === 1 ? st.buffer[0] : Buffer.concat(st.buffer);
          st.buffer = [];
          st.length = 0;
        } else if (n > 0) {
          const all = Buffer.concat(st.buffer);
          out = all.subarray(0, n);
          st.buffer = [all.subarray(n)];
          st.length -= n;
        }
      }
      this.#schedule();
      return out === null ? null : this.#decode(out);
    }
    on(name, fn) {
      super.on(name, fn);
      if (name === 'data' && this._readableState.flowing !== false) this.resume();
      if (name === 'readable') this.#schedule();
      return this;
    }
    pause() {
      this._readableState.flowing = false;
      this.emit('pause');
      return this;
    }
    resume() {
      this._readableState.flowing = true;
      this.emit('resume');
      this.#schedule();
      return this;
    }
    isPaused() {
      return this._readableState.flowing === false;
    }
    #schedule() {
      const st = this._readableState;
      if (st.scheduled) return;
      st.scheduled = true;
      later(() => {
        st.scheduled = false;
        this.#flow();
      });
    }
    #flow() {
      const st = this._readableState;
      if (this.destroyed) return;
      if (st.flowing) {
        while (st.flowing && st.buffer.length && !this.destroyed) {
          const c = st.buffer.shift();
          st.length -= st.objectMode ? 1 : c.length;
          this.emit('data', this.#decode(c));
        }
      } else if (st.buffer.length && this.listenerCount('readable')) {
        this.emit('readable');
      }
      if (st.ended && !st.buffer.length) {
        if (!st.endEmitted) {
          // 'end' once what was pushed has been taken (flowing, 'readable' or read()).
          if (!(st.flowing || this.listenerCount('readable') || st.readCalled)) return;
          st.endEmitted = true;
          this.emit('end');
          if (this.listenerCount('readable') && !st.flowing) this.emit('readable');
          later(() => this.destroy());
        }
        return;
      }
      if (!st.ended && !st.reading && st.length < st.highWaterMark && (st.flowing || this.listenerCount('readable'))) {
        st.reading = true;
        try {
          this._read(st.highWaterMark);
        } catch (e) {
          this.destroy(e);
        }
      }
    }
    destroy(err) {
      if (this.destroyed) return this;
      this.destroyed = true;
      // `self`, not `this`, in arrows within arrows: Boa 0.22 binds the wrong `this` there.
      const self = this;
      const done = (e) => {
        later(() => {
          if (e) self.emit('error', e);
          self.emit('close');
        });
      };
      if (typeof this._destroy === 'function') this._destroy(err ?? null, (e) => done(e ?? err));
      else done(err);
      return this;
    }
    pipe(dest, options = {}) {
      const src = this;
      const end = options.end !== false;
      src.on('data', (chunk) => {
        if (dest.write(chunk) === false && typeof src.pause === 'function') {
          src.pause();
          dest.once('drain', () => src.resume());
        }
      });
      if (end) src.on('end', () => dest.end());
      if (typeof dest.emit === 'function') dest.emit('pipe', src);
      return dest;
    }
    unpipe() {
      this.removeAllListeners('data');
      this.pause();
      return this;
    }
    async *[Symbol.asyncIterator]() {
      const st = this._readableState;
      let error = null;
      let wake = null;
      const ping = () => {
        if (wake) {
          const w = wake;
          wake = null;
          w();
        }
      };
      this.on('readable', ping);
      this.on('end', ping);
      this.on('error', (e) => {
        error = e;
        ping();
      });
      this.on('close', ping);
      for (;;) {
        if (error) throw error;
        const c = st.objectMode ? this.read() : this.read();
        if (c !== null) {
          yield c;
          continue;
        }
        if (st.endEmitted || (st.ended && !st.buffer.length) || this.destroyed) {
          if (error) throw error;
          return;
        }
        await new Promise((r) => {
          wake = r;
        });
      }
    }
    static from(iterable, options = {}) {
      if (typeof iterable === 'string' || iterable instanceof Uint8Array) iterable = [iterable];
      const it = iterable[Symbol.asyncIterator] ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
      return new Readable({
        objectMode: true,
        ...options,
        read() {
          Promise.resolve(it.next()).then(
            ({ value, done }) => this.push(done ? null : value),
            (e) => this.destroy(e),
          );
        },
      });
    }
  }

  class Writable extends Stream {
    constructor(options = {}) {
      super();
      this._writableState = {
        queue: [],
        length: 0,
        writing: false,
        ending: false,
        ended: false,
        finished: false,
        needDrain: false,
        objectMode: !!(options.objectMode || options.writableObjectMode),
        decodeStrings: options.decodeStrings !== false,
        highWaterMark: options.highWaterMark ?? (options.objectMode ? 16 : 16384),
        finalCallbacks: [],
      };
      this.destroyed = false;
      if (typeof options.write === 'function') this._write = options.write;
      if (typeof options.writev === 'function') this._writev = options.writev;
      if (typeof options.final === 'function') this._final = options.final;
      if (typeof options.destroy === 'function') this._destroy = options.destroy;
    }
    get writable() {
      return !this.destroyed && !this._writableState.ending;
    }
    _write(chunk, encoding, cb) {
      if (typeof this._writev === 'function') return this._writev([{ chunk, encoding }], cb);
      cb(notImplemented('_write'));
    }
    write(chunk, encoding, cb) {
      if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
      const st = this._writableState;
      if (st.ending) {
        const e = new Error('write after end');
        e.code = 'ERR_STREAM_WRITE_AFTER_END';
        later(() => {
          if (cb) cb(e);
          this.emit('error', e);
        });
        return false;
      }
      if (chunk === null) {
        const e = new TypeError('May not write null values to stream');
        e.code = 'ERR_STREAM_NULL_VALUES';
        throw e;
      }
      let c = chunk;
      if (!st.objectMode && (typeof chunk !== 'string' || st.decodeStrings)) c = toChunk(chunk, encoding, false);
      const len = st.objectMode ? 1 : c.length;
      st.length += len;
      st.queue.push({ chunk: c, encoding: typeof c === 'string' ? encoding || 'utf8' : 'buffer', cb, len });
      const ok = st.length < st.highWaterMark;
      if (!ok) st.needDrain = true;
      if (!st.writing) this.#next();
      return ok;
    }
    #next() {
      const st = this._writableState;
      if (this.destroyed) return;
      const w = st.queue.shift();
      if (!w) {
        if (st.needDrain) {
          st.needDrain = false;
          this.emit('drain');
        }
        if (st.ending && !st.ended) this.#finish();
        return;
      }
      st.writing = true;
      let sync = true;
      const self = this;
      this._write(w.chunk, w.encoding, (err) => {
        const go = () => {
          st.writing = false;
          st.length -= w.len;
          if (err) {
            if (w.cb) w.cb(err);
            self.destroy(err);
            return;
          }
          if (w.cb) w.cb();
          self.#next();
        };
        if (sync) later(go);
        else go();
      });
      sync = false;
    }
    #finish() {
      const st = this._writableState;
      st.ended = true;
      const self = this;
      const done = (err) => {
        if (err) return self.destroy(err);
        st.finished = true;
        self.emit('finish');
        for (const cb of st.finalCallbacks) cb();
        later(() => self.destroy());
      };
      if (typeof this._final === 'function') this._final((e) => later(() => done(e)));
      else later(() => done());
    }
    end(chunk, encoding, cb) {
      if (typeof chunk === 'function') [cb, chunk] = [chunk, undefined];
      else if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
      const st = this._writableState;
      if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
      if (cb) st.finalCallbacks.push(cb);
      if (st.ending) return this;
      st.ending = true;
      if (!st.writing && !st.queue.length) this.#finish();
      return this;
    }
    cork() {}
    uncork() {}
    setDefaultEncoding() {
      return this;
    }
    destroy(err) {
      return Readable.prototype.destroy.call(this, err);
    }
  }

  stateGetters(Readable, '_readableState', {
    readableEnded: 'endEmitted',
    readableFlowing: 'flowing',
    readableLength: 'length',
    readableObjectMode: 'objectMode',
    readableHighWaterMark: 'highWaterMark',
  });
  const WRITABLE_FIELDS = {
    writableEnded: 'ending',
    writableFinished: 'finished',
    writableLength: 'length',
    writableObjectMode: 'objectMode',
    writableHighWaterMark: 'highWaterMark',
  };
  stateGetters(Writable, '_writableState', WRITABLE_FIELDS);

  // A Duplex is a Readable with a Writable's side: the Writable methods and state are copied in.
  class Duplex extends Readable {
    constructor(options = {}) {
      super(options);
      const w = new Writable({ ...options, objectMode: options.objectMode || options.writableObjectMode });
      this._writableState = w._writableState;
      if (typeof options.write === 'function') this._write = options.write;
      if (typeof options.writev === 'function') this._writev = options.writev;
      if (typeof options.final === 'function') this._final = options.final;
      this.allowHalfOpen = options.allowHalfOpen !== false;
    }
  }
  for (const name of ['cork', 'uncork', 'setDefaultEncoding', '_write']) {
    Object.defineProperty(Duplex.prototype, name, Object.getOwnPropertyDescriptor(Writable.prototype, name));
  }
  Object.defineProperty(Duplex.prototype, 'writable', Object.getOwnPropertyDescriptor(Writable.prototype, 'writable'));
  stateGetters(Duplex, '_writableState', WRITABLE_FIELDS);
  // Writable's private steps (#next, #finish) are reached through a Writable that shares this state.
  Duplex.prototype.write = function write(chunk, encoding, cb) {
    return writableSide(this).write(chunk, encoding, cb);
  };
  Duplex.prototype.end = function end(chunk, encoding, cb) {
    writableSide(this).end(chunk, encoding, cb);
    return this;
  };
  const sides = new WeakMap();
  const writableSide = (d) => {
    let w = sides.get(d);
    if (!w) {
      w = new Writable({
        objectMode: d._writableState.objectMode,
        write: (c, e, cb) => d._write(c, e, cb),
        final: (cb) => (typeof d._final === 'function' ? d._final(cb) : cb()),
      });
      w._writableState = d._writableState;
      w.emit = (name, ...args) => (name === 'close' ? false : d.emit(name, ...args));
      w.destroy = (e) => d.destroy(e);
      sides.set(d, w);
    }
    return w;
  };

  class Transform extends Duplex {
    constructor(options = {}) {
      super(options);
      if (typeof options.transform === 'function') this._transform = options.transform;
      if (typeof options.flush === 'function') this._flush = options.flush;
    }
    _read() {}
    _write(chunk, encoding, cb) {
      this._transform(chunk, encoding, (err, data) => {
        if (err) return cb(err);
        if (data !== undefined && data !== null) this.push(data);
        cb();
      });
    }
    _final(cb) {
      const end = (err, data) => {
        if (err) return cb(err);
        if (data !== undefined && data !== null) this.push(data);
        this.push(null);
        cb();
      };
      if (typeof this._flush === 'function') this._flush(end);
      else end();
    }
    _transform() {
      throw notImplemented('_transform');
    }
  }

  class PassThrough extends Transform {
    _transform(chunk, encoding, cb) {
      cb(null, chunk);
    }
  }

  /// Calls `cb` once `s` has finished (its writable side) and ended (its readable side), or failed.
  const finished = (s, options, cb) => {
    if (typeof options === 'function') cb = options;
    let called = false;
    const done = (err) => {
      if (called) return;
      called = true;
      cb(err);
    };
    const readable = s instanceof Readable;
    const writable = typeof s.write === 'function' && !!s._writableState;
    let rDone = !readable;
    let wDone = !writable;
    if (readable) s.on('end', () => (rDone = true) && wDone && done());
    if (writable) s.on('finish', () => (wDone = true) && rDone && done());
    s.on('error', done);
    s.on('close', () => !(rDone && wDone) && done(prematureClose()));
    return () => {};
  };
  const prematureClose = () => {
    const e = new Error('Premature close');
    e.code = 'ERR_STREAM_PREMATURE_CLOSE';
    return e;
  };

  /// pipeline(source, …transforms, destination, callback): pipes each into the next; the first error
  /// destroys them all; `callback(err)` when the destination has finished.
  const pipeline = (...streams) => {
    const cb = typeof streams[streams.length - 1] === 'function' ? streams.pop() : null;
    if (Array.isArray(streams[0]) && streams.length === 1) streams = streams[0];
    streams = streams.map((s, i) =>
      i === 0 && !(s instanceof EventEmitter) && (s[Symbol.asyncIterator] || s[Symbol.iterator]) ? Readable.from(s, { objectMode: false }) : s,
    );
    if (streams.length < 2) {
      const e = new TypeError('The "streams" argument must be specified');
      e.code = 'ERR_MISSING_ARGS';
      throw e;
    }
    let failed = false;
    const fail = (e) => {
      if (failed) return;
      failed = true;
      for (const s of streams) if (typeof s.destroy === 'function' && !s.destroyed) s.destroy();
      if (cb) cb(e);
    };
    for (const s of streams) s.on('error', fail);
    for (let i = 0; i < streams.length - 1; i++) streams[i].pipe(streams[i + 1]);
    const last = streams[streams.length - 1];
    const done = () => {
      if (!failed && cb) {
        failed = true;
        cb();
      }
    };
    if (typeof last.write === 'function') last.on('finish', done);
    else last.on('end', done);
    return last;
  };
  const promises = {
    pipeline: (...streams) => new Promise((resolve, reject) => pipeline(...streams, (e) => (e ? reject(e) : resolve()))),
    finished: (s, options) => new Promise((resolve, reject) => finished(s, options, (e) => (e ? reject(e) : resolve()))),
  };
  Object.assign(Stream, { Stream, Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, promises });

  // crypto's Hash is a writable stream to pipe into, as Node's: write() hashes, end() emits 'finish'.
  if (crypto && typeof crypto.createHash === 'function') {
    const hashProto = Object.getPrototypeOf(crypto.createHash('sha256'));
    Object.setPrototypeOf(hashProto, EventEmitter.prototype);
    Object.assign(hashProto, {
      write(chunk, encoding, cb) {
        this.update(chunk, typeof encoding === 'string' ? encoding : undefined);
        if (typeof cb === 'function' || typeof encoding === 'function') later(typeof cb === 'function' ? cb : encoding);
        return true;
      },
      end(chunk, encoding, cb) {
        if (typeof chunk === 'function') cb = chunk;
        else if (chunk !== undefined && chunk !== null) this.update(chunk, typeof encoding === 'string' ? encoding : undefined);
        if (typeof encoding === 'function') cb = encoding;
        later(() => {
          this.emit('finish');
          if (typeof cb === 'function') cb();
          this.emit('close');
        });
        return this;
      },
    });
  }

  // ---------------------------------------------------------------- fs streams

  /// Opens the file of a ReadStream or WriteStream (unless given `fd`): 'open' and 'ready' follow, or the
  /// error, destroying the stream, as Node's do.
  const openFile = (stream, p, options) => {
    stream.pending = true;
    stream.autoClose = options.autoClose !== false;
    if (stream.fd === null) {
      try {
        stream.fd = fs.openSync(p, stream.flags, options.mode ?? 0o666);
      } catch (e) {
        later(() => stream.destroy(e));
        return;
      }
    }
    later(() => {
      stream.pending = false;
      stream.emit('open', stream.fd);
      stream.emit('ready');
    });
  };

  class ReadStream extends Readable {
    constructor(p, options = {}) {
      if (typeof options === 'string') options = { encoding: options };
      super({ highWaterMark: options.highWaterMark ?? 65536, encoding: options.encoding });
      this.path = p;
      this.fd = options.fd ?? null;
      this.flags = options.flags ?? 'r';
      this.start = options.start;
      this.end = options.end ?? Infinity;
      this.pos = this.start;
      this.bytesRead = 0;
      openFile(this, p, options);
    }
    _read(n) {
      let want = n;
      if (this.end !== Infinity) want = Math.min(n, this.end - (this.pos ?? this.bytesRead) + 1);
      if (want <= 0) return this.push(null);
      const buf = Buffer.alloc(want);
      let got;
      try {
        got = fs.readSync(this.fd, buf, 0, want, this.pos ?? null);
      } catch (e) {
        return this.destroy(e);
      }
      if (this.pos !== undefined) this.pos += got;
      this.bytesRead += got;
      this.push(got ? buf.subarray(0, got) : null);
    }
    _destroy(err, cb) {
      if (this.autoClose && typeof this.fd === 'number') {
        try {
          fs.closeSync(this.fd);
        } catch (e) {
          err = err ?? e;
        }
        this.fd = null;
      }
      cb(err);
    }
    close(cb) {
      if (cb) this.once('close', cb);
      this.destroy();
    }
  }

  class WriteStream extends Writable {
    constructor(p, options = {}) {
      if (typeof options === 'string') options = { encoding: options };
      super({ highWaterMark: options.highWaterMark ?? 16384 });
      this.path = p;
      this.fd = options.fd ?? null;
      this.flags = options.flags ?? 'w';
      this.pos = options.start;
      this.bytesWritten = 0;
      openFile(this, p, options);
    }
    _write(chunk, encoding, cb) {
      try {
        const b = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
        let off = 0;
        while (off < b.length) {
          const n = fs.writeSync(this.fd, b, off, b.length - off, this.pos ?? null);
          off += n;
          if (this.pos !== undefined) this.pos += n;
        }
        this.bytesWritten += b.length;
        cb();
      } catch (e) {
        cb(e);
      }
    }
    _destroy(err, cb) {
      return ReadStream.prototype._destroy.call(this, err, cb);
    }
    close(cb) {
      if (cb) this.once('close', cb);
      if (!this.writableEnded) this.end();
      else this.destroy();
    }
  }

  // ---------------------------------------------------------------- fs.opendir, Dir

  class Dir {
    #entries;
    #closed = false;
    constructor(p, entries) {
      this.path = p;
      this.#entries = entries;
    }
    #check() {
      if (this.#closed) {
        const e = new Error('Directory handle was closed');
        e.code = 'ERR_DIR_CLOSED';
        throw e;
      }
    }
    readSync() {
      this.#check();
      return this.#entries.shift() ?? null;
    }
    read(cb) {
      const p = new Promise((resolve) => resolve(this.readSync()));
      if (typeof cb !== 'function') return p;
      p.then((d) => cb(null, d), (e) => cb(e));
    }
    closeSync() {
      this.#check();
      this.#closed = true;
    }
    close(cb) {
      const p = new Promise((resolve) => resolve(this.closeSync()));
      if (typeof cb !== 'function') return p;
      p.then(() => cb(null), (e) => cb(e));
    }
    async *entries() {
      try {
        for (let d = this.readSync(); d !== null; d = this.readSync()) yield d;
      } finally {
        if (!this.#closed) this.closeSync();
      }
    }
    [Symbol.asyncIterator]() {
      return this.entries();
    }
  }
  const opendirSync = (p, options = {}) => {
    const entries = fs.readdirSync(p, { withFileTypes: true, recursive: !!options.recursive });
    return new Dir(typeof p === 'string' ? p : String(p), entries);
  };
  const callbackOf = (args) => (typeof args[args.length - 1] === 'function' ? args.pop() : null);
  const viaCallback = (cb, f) => {
    let v;
    try {
      v = f();
    } catch (e) {
      return later(() => cb(e));
    }
    later(() => cb(null, v));
  };

  // ---------------------------------------------------------------- fs.glob

  /// The paths (relative to `cwd`) matching `pattern`: the tree walked from the pattern's fixed leading
  /// names, each path tried with path.matchesGlob (the one matcher), no deeper than the pattern reaches
  /// unless it has '**'; symbolic links are not followed.
  const globSync = (pattern, options = {}) => {
    const patterns = Array.isArray(pattern) ? pattern : [pattern];
    for (const p of patterns) if (typeof p !== 'string') throw argType('pattern', 'string', p);
    const cwd = options.cwd === undefined ? process.cwd() : String(options.cwd instanceof URL ? options.cwd.pathname : options.cwd);
    const exclude = options.exclude;
    const found = new Map();
    for (const pat of patterns) {
      const names = pat.split('/');
      const abs = pat.startsWith('/');
      const fixed = [];
      for (const n of names.slice(abs ? 1 : 0, -1)) {
        if (/[*?[\]{}()!+@]/.test(n)) break;
        fixed.push(n);
      }
      const deep = /\*\*|\{/.test(pat);
      const depth = names.length - (abs ? 1 : 0);
      const base = abs ? '/' + fixed.join('/') : fixed.join('/');
      const test = (rel) => {
        if (!path.matchesGlob(rel, pat)) return;
        found.set(rel, true);
      };
      const walk = (rel, level) => {
        const dir = abs ? rel || '/' : path.join(cwd, rel || '.');
        let entries;
        try {
          entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch {
          return;
        }
        for (const d of entries) {
          const child = rel ? (rel.endsWith('/') ? rel + d.name : `${rel}/${d.name}`) : d.name;
          if (typeof exclude === 'function' && exclude(options.withFileTypes ? d : child)) continue;
          if (Array.isArray(exclude) && exclude.some((x) => path.matchesGlob(child, x))) continue;
          test(child);
          if (d.isDirectory() && (deep || level + 1 < depth)) walk(child, level + 1);
        }
      };
      if (base) {
        try {
          fs.lstatSync(abs ? base : path.join(cwd, base));
        } catch {
          continue;
        }
        test(base);
      }
      walk(base, fixed.length);
    }
    const out = [...found.keys()];
    if (!options.withFileTypes) return out;
    return out.map((rel) => {
      const full = rel.startsWith('/') ? rel : path.join(cwd, rel);
      const parent = path.dirname(full);
      return fs.readdirSync(parent, { withFileTypes: true }).find((d) => d.name === path.basename(full));
    });
  };
  async function* globAsync(pattern, options) {
    for (const p of globSync(pattern, options)) yield p;
  }

  const fsAdditions = {
    ReadStream,
    WriteStream,
    Dir,
    createReadStream: (p, options) => new ReadStream(p, options),
    createWriteStream: (p, options) => new WriteStream(p, options),
    opendirSync,
    opendir(p, ...args) {
      const cb = callbackOf(args);
      if (typeof cb !== 'function') throw argType('cb', 'function', cb);
      viaCallback(cb, () => opendirSync(p, args[0]));
    },
    globSync,
    glob(pattern, ...args) {
      const cb = callbackOf(args);
      if (typeof cb !== 'function') throw argType('callback', 'function', cb);
      viaCallback(cb, () => globSync(pattern, args[0]));
    },
  };
  const promiseAdditions = {
    opendir: async (p, options) => opendirSync(p, options),
    glob: globAsync,
  };
  Object.assign(fs, fsAdditions);
  Object.assign(fs.promises, promiseAdditions);
  return { events, stream: Stream, streamPromises: promises };
});
