// Runs the kiosk's script (static/kiosk.js) in Node with a tiny stand-in for the page's DOM,
// for tests/channels/test_kiosk_script.py where no browser is installed.
//
//   node kiosk_harness.js KIOSK_JS < scenario.json
//
// scenario: {"busyText": "...", "replies": [{"status": 429, "body": "<raw response text>"}, ...],
//            "messages": ["你好", ...], "verdicts": "<data-verdicts>", "counties": "<data-counties>"}
// Each message is typed and sent; /api/chat answers with the next reply (a body that is not
// JSON makes response.json() fail, as in a browser). Prints, as JSON, what the kiosk shows:
// [{"classes": "msg bot busy", "text": "..."}, ...] for the bot's messages after the welcome,
// and the requests it made.
"use strict";

const fs = require("fs");
const vm = require("vm");

class ClassList {
  constructor(element) { this.element = element; }
  list() { return this.element.className.split(/\s+/).filter(Boolean); }
  contains(name) { return this.list().includes(name); }
  add(name) { if (!this.contains(name)) this.element.className = this.list().concat([name]).join(" "); }
  remove(name) { this.element.className = this.list().filter((n) => n !== name).join(" "); }
  toggle(name, force) {
    const want = force === undefined ? !this.contains(name) : !!force;
    if (want) this.add(name); else this.remove(name);
    return want;
  }
}

class Element {
  constructor(tag, id) {
    this.tagName = String(tag).toUpperCase();
    this.id = id || "";
    this.children = [];
    this.parentNode = null;
    this.className = "";
    this.classList = new ClassList(this);
    this.dataset = {};
    this.attributes = {};
    this.listeners = {};
    this.hidden = false;
    this.disabled = false;
    this.value = "";
    this.ownText = "";
    this.scrollTop = 0;
    this.scrollHeight = 0;
    this.clientHeight = 1000;
    this.offsetTop = 0;
  }
  appendChild(child) {
    if (child instanceof Fragment) {
      child.children.slice().forEach((c) => this.appendChild(c));
      child.children = [];
      return child;
    }
    child.parentNode = this;
    this.children.push(child);
    return child;
  }
  insertBefore(child, reference) {
    child.parentNode = this;
    const at = this.children.indexOf(reference);
    if (at < 0) this.children.push(child); else this.children.splice(at, 0, child);
    return child;
  }
  get textContent() { return this.ownText + this.children.map((c) => c.textContent).join(""); }
  set textContent(value) { this.ownText = String(value); this.children = []; }
  get innerText() { return this.textContent; }
  setAttribute(name, value) { this.attributes[name] = String(value); }
  getAttribute(name) { return this.attributes[name]; }
  addEventListener(name, listener) { (this.listeners[name] = this.listeners[name] || []).push(listener); }
  dispatch(name, event) { (this.listeners[name] || []).forEach((listener) => listener(event)); }
  scrollIntoView() {}
  focus() {}
  blur() {}
  matches(selector) {
    // Enough for kiosk.js: ".a.b", optionally followed by ":not(:disabled)".
    const notDisabled = selector.endsWith(":not(:disabled)");
    const classes = selector.replace(":not(:disabled)", "").split(".").filter(Boolean);
    if (!selector.startsWith(".")) return false;
    return classes.every((c) => this.classList.contains(c)) && (!notDisabled || !this.disabled);
  }
  descendants() { return this.children.flatMap((c) => [c].concat(c.descendants())); }
  querySelectorAll(selector) { return this.descendants().filter((e) => e.matches(selector)); }
  querySelector(selector) { return this.querySelectorAll(selector)[0] || null; }
  closest(selector) {
    for (let e = this; e; e = e.parentNode) if (e.matches && e.matches(selector)) return e;
    return null;
  }
}

class Fragment extends Element {}

function welcome() {
  const fragment = new Fragment("#fragment");
  const card = new Element("div");
  card.className = "msg bot welcome";
  fragment.appendChild(card);
  return fragment;
}

const IDS = ["log", "composer", "text", "send", "thinking", "print-open", "print-view", "print-sheet", "print-body",
             "print-qr", "idle-warning", "idle-count", "print-time", "restart", "idle-continue", "print-close",
             "print-now", "welcome-template", "print-title", "text-size", "handoff-wait", "handoff-wait-case",
             "handoff-keep-waiting", "handoff-end"];

async function main() {
  const script = fs.readFileSync(process.argv[2], "utf8");
  const scenario = JSON.parse(fs.readFileSync(0, "utf8"));
  const elements = {};
  IDS.forEach((id) => { elements[id] = new Element("div", id); });
  elements["welcome-template"].content = welcome();
  const body = new Element("body");
  body.dataset = { idleSeconds: "600", hotline: "12345", busyText: scenario.busyText,
                   verdicts: scenario.verdicts || "{}", counties: scenario.counties || "{}" };
  const document = {
    body,
    activeElement: null,
    getElementById: (id) => elements[id] || null,
    querySelector: () => null,
    querySelectorAll: () => [],
    createElement: (tag) => new Element(tag),
    importNode: () => welcome(),
    addEventListener: () => {},
  };
  const requests = [];
  const replies = scenario.replies.slice();
  function fetch(url, options) {
    const request = JSON.parse(options.body);
    requests.push({ url, message: request.message });
    if (request.message === "/restart") return Promise.resolve({ ok: true, status: 204, json: () => Promise.reject(new Error("no body")) });
    const reply = replies.shift();
    if (!reply) return Promise.reject(new TypeError("Failed to fetch"));
    return Promise.resolve({
      ok: reply.status >= 200 && reply.status < 300,
      status: reply.status,
      json: () => new Promise((resolve, reject) => {
        try { resolve(JSON.parse(reply.body)); } catch (error) { reject(error); }
      }),
    });
  }
  const unref = (timer) => { if (timer && timer.unref) timer.unref(); return timer; };
  const window = {
    location: { search: "" },
    crypto: { getRandomValues: (bytes) => { for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37) % 256; return bytes; } },
    print: () => {},
    addEventListener: () => {},
  };
  const context = vm.createContext({
    window, document, fetch, URLSearchParams, Promise, Uint8Array, Array, Math, Date, JSON, parseFloat, isFinite, Number,
    String, Error, TypeError, console,
    setTimeout: (f, ms) => unref(setTimeout(f, ms)), clearTimeout,
    setInterval: (f, ms) => unref(setInterval(f, ms)), clearInterval,
  });
  vm.runInContext(script, context, { filename: "kiosk.js" });

  for (const message of scenario.messages) {
    const before = requests.length;
    elements.text.value = message;
    elements.composer.dispatch("submit", { preventDefault: () => {} });
    for (let i = 0; i < 200 && (requests.length === before || body.dataset.state !== "ready"); i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const shown = elements.log.children
    .filter((e) => e.classList.contains("bot") && !e.classList.contains("welcome"))
    .map((e) => ({ classes: e.className, text: e.textContent }));
  const printed = { title: elements["print-title"].textContent, body: elements["print-body"].textContent,
                    enabled: !elements["print-open"].disabled };
  process.stdout.write(JSON.stringify({ shown, requests, printed }));
}

main().catch((error) => { console.error(error && error.stack || error); process.exit(1); });
