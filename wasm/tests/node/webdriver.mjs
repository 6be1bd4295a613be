// A WebDriver client for headless Chromium, over chromedriver's HTTP API (Node 20's fetch): enough to
// load a page, read and click elements, type, pick a file and run a script.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

export class Browser {
  /** chromedriver and one headless Chromium session; downloads go to `downloads`. */
  static async start({ chromium, chromedriver, profile, downloads }) {
    const port = await freePort();
    const child = spawn(chromedriver, [`--port=${port}`], { stdio: 'ignore' });
    const b = new Browser(child, `http://127.0.0.1:${port}`);
    for (let t = Date.now(); ; await sleep(100)) {
      try {
        if ((await b.#raw('GET', '/status')).value.ready) break;
      } catch {}
      if (Date.now() - t > 30000) throw new Error('chromedriver did not start');
    }
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      '--no-default-browser-check', '--window-size=1280,1800', `--user-data-dir=${profile}`];
    const v = await b.#raw('POST', '/session', { capabilities: { alwaysMatch: {
      browserName: 'chrome', 'goog:chromeOptions': { binary: chromium, args,
        prefs: { 'download.default_directory': downloads, 'download.prompt_for_download': false } } } } });
    b.session = v.value.sessionId;
    return b;
  }

  constructor(child, base) {
    this.child = child;
    this.base = base;
  }

  async #raw(method, path, body) {
    const res = await fetch(this.base + path, { method, headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body) });
    const v = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(v.value)}`);
    return v;
  }

  async call(method, rest, body) {
    return (await this.#raw(method, `/session/${this.session}${rest}`, body)).value;
  }

  goto(url) { return this.call('POST', '/url', { url }); }
  script(js, ...args) { return this.call('POST', '/execute/sync', { script: js, args }); }
  async find(css) {
    try {
      return (await this.call('POST', '/element', { using: 'css selector', value: css }))[ELEMENT];
    } catch {
      return null;
    }
  }
  async text(css) { return (await this.script('const e = document.querySelector(arguments[0]); return e ? e.innerText : ""', css)) ?? ''; }
  async click(css) { return this.call('POST', `/element/${await this.find(css)}/click`, {}); }
  async type(css, text) { return this.call('POST', `/element/${await this.find(css)}/value`, { text }); }

  /** Waits until `test()` gives something truthy; that value. */
  async until(what, test, ms = 30000) {
    for (let t = Date.now(); ; await sleep(50)) {
      const v = await test();
      if (v) return v;
      if (Date.now() - t > ms) throw new Error(`timed out waiting for ${what}`);
    }
  }

  /** Waits until `css`'s text contains `want`; the text. */
  waitText(css, want, ms) {
    return this.until(`${css} to show ${JSON.stringify(want)}`, async () => {
      const t = await this.text(css);
      return t.includes(want) ? t : null;
    }, ms);
  }

  async quit() {
    try {
      await this.#raw('DELETE', `/session/${this.session}`);
    } catch {}
    this.child.kill();
  }
}
