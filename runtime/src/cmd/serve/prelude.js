// rumpjs serve: what the server adds to its JavaScript context, evaluated once as a script at start. It
// returns the object the server drives (kept as the non-enumerable global __rumpjs_serve__):
//  - timers: setTimeout/setInterval are kept here and run by the server between requests, so the event
//    loop never blocks the engine thread (Boa's own timers would make every request wait for them);
//  - commands: the REPL's shell-like commands (scripts/lib/commands.js), refused when they write to a
//    read-only server;
//  - process.exit() throws instead of ending the server.
(readonly) => {
  'use strict';
  const timers = new Map();
  let nextId = 1;
  let commands = null;
  let inspect = null;
  let held;
  const WRITES_HOST = new Set(['get']);

  function addTimer(fn, ms, args, repeat) {
    if (typeof fn !== 'function') {
      const e = new TypeError(`The "callback" argument must be of type function. Received ${fn === null ? 'null' : typeof fn}`);
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    ms = Number(ms);
    if (!(ms >= 1 && ms <= 2147483647)) ms = 1;
    const id = nextId++;
    timers.set(id, { fn, args, ms, repeat, at: Date.now() + ms });
    return id;
  }
  const clear = (id) => {
    timers.delete(Number(id));
  };
  globalThis.setTimeout = function setTimeout(fn, ms, ...args) {
    return addTimer(fn, ms, args, false);
  };
  globalThis.setInterval = function setInterval(fn, ms, ...args) {
    return addTimer(fn, ms, args, true);
  };
  globalThis.clearTimeout = function clearTimeout(id) {
    clear(id);
  };
  globalThis.clearInterval = function clearInterval(id) {
    clear(id);
  };

  if (typeof process === 'object' && process) {
    process.exit = function exit() {
      throw new Error('process.exit() does not end rumpjs serve (every page shares this session); stop the server with Ctrl-C');
    };
  }

  if (readonly && typeof rump === 'object' && typeof rump.mount === 'function') {
    // A read-only server mounts read-only, whatever the page asks.
    const mount = rump.mount;
    rump.mount = function (type, dir, options) {
      return mount.call(this, type, dir, Object.assign({}, options, { readonly: true }));
    };
  }

  return {
    init(ns) {
      commands = ns;
      inspect = ns.default && ns.default.inspect;
    },
    /// Keeps a value for show().
    hold(v) {
      held = v;
    },
    /// The held value as the REPL shows it (util.inspect, after a custom inspector), or undefined when
    /// inspect.js is not there.
    show() {
      const v = held;
      held = undefined;
      if (typeof inspect !== 'function') return undefined;
      let shown = v;
      if (v !== null && (typeof v === 'object' || typeof v === 'function')) {
        const custom = v[Symbol.for('nodejs.util.inspect.custom')];
        if (typeof custom === 'function') shown = custom.call(v);
      }
      return inspect(shown);
    },
    /// Runs a command line; the result ({status, out, err}) as JSON text.
    command(line, limit, columns) {
      let words;
      try {
        words = commands.tokenize(line);
      } catch (e) {
        return JSON.stringify({ status: 2, out: '', err: `${e.message}\n` });
      }
      const name = (words[0] || '').replace(/^\./, '');
      const cmd = commands.COMMANDS[name];
      if (readonly && cmd && (cmd.writes || WRITES_HOST.has(name))) {
        return JSON.stringify({ status: 1, out: '', err: `${name}: rumpjs serve is read-only; start it with --rw (or --overlay) to change files\n` });
      }
      const r = commands.run(words, { limit, columns });
      if (r.out.length >= limit && !/\[output truncated at [^\]]*\]\n$/.test(r.out)) r.out += `\n[output truncated at ${limit} characters]\n`;
      return JSON.stringify(r);
    },
    /// Milliseconds until the next timer is due, or -1 when none is set.
    nextDue() {
      let at = Infinity;
      for (const t of timers.values()) if (t.at < at) at = t.at;
      return at === Infinity ? -1 : Math.max(0, at - Date.now());
    },
    /// Runs the timers that are due, oldest first; an error thrown by one is reported on the console.
    runDue() {
      const now = Date.now();
      const due = [...timers].filter(([, t]) => t.at <= now).sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
      for (const [id, t] of due) {
        if (timers.get(id) !== t) continue;
        if (t.repeat) t.at = Date.now() + t.ms;
        else timers.delete(id);
        try {
          t.fn(...t.args);
        } catch (e) {
          console.error('Uncaught', e);
        }
      }
    },
    timerCount() {
      return timers.size;
    },
  };
};
