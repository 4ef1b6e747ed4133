/**
 * Opens an HTML file in headless Chromium and reports what a person would see: the page title, the SVG
 * charts that rendered at a non-zero size with drawn marks, the images that loaded, console errors and
 * failed resource loads; optionally a full-page screenshot.
 *
 * Chromium is driven over the Chrome DevTools Protocol on a WebSocket (Deno has one built in), so no
 * browser-automation package is needed. Every call starts its own Chromium with a fresh profile folder
 * and stops it and removes the folder before returning, also on errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { figure } from "./blocks.ts";
 * import { browserCheck } from "./browser_check.ts";
 * import { renderPage } from "./page.ts";
 * import { linePlot } from "./svg_plot.ts";
 *
 * const dir = await Deno.makeTempDir(); // a tiny report stands in for reports/wgan-div/index.html
 * const losses = [{ name: "loss", x: [0, 1, 2], y: [1, 0.5, 0.2] }];
 * await Deno.writeTextFile(`${dir}/index.html`, renderPage({
 *   title: "Tiny report", article: { title: "An article", url: "https://example.org" }, summary: "One plot.",
 *   sections: [{ title: "Training", body: figure(linePlot(losses, { title: "Losses" })) }],
 * }));
 * const seen = await browserCheck(`${dir}/index.html`, { screenshotPath: `${dir}/page.png` });
 * if (seen.consoleErrors.length > 0 || seen.plots.some((p) => !p.rendered)) throw new Error("Broken report");
 * assert.deepEqual(seen.plots.map((p) => p.label), ["Losses"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import { resolve, toFileUrl } from "./_path.ts";

/** Where Debian installs Chromium (`apt-get install chromium`). */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** Options of `browserCheck`. */
export interface BrowserCheckOptions {
  /** Path of the Chromium binary; default /usr/bin/chromium. */
  chromium?: string;
  /** Viewport in CSS px; default 1100 × 900. */
  viewport?: { width: number; height: number };
  /** Emulated `prefers-color-scheme`; default light. */
  colorScheme?: "light" | "dark";
  /** Write a PNG screenshot of the whole page here. */
  screenshotPath?: string;
  /**
   * Give up after this long; default 90 s. A check takes 3–11 s on two cores, but a fresh Chromium profile
   * once took over 30 s in a clean-clone CI run (the page never reached its load event in time).
   */
  timeoutMs?: number;
}

/** One top-level `<svg>` on the page. */
export interface PlotSeen {
  /** Its `aria-label` (our charts set it to the title), or "". */
  label: string;
  width: number;
  height: number;
  /** Drawn shapes outside axes, grids and legends, with a non-empty bounding box. */
  marks: number;
  /** Non-zero size and at least one mark. */
  rendered: boolean;
}

/** One `<img>` on the page. */
export interface ImageSeen {
  /** The start of its URL (data: URIs are cut short). */
  src: string;
  alt: string;
  naturalWidth: number;
  naturalHeight: number;
  loaded: boolean;
}

/** What the page showed. */
export interface BrowserCheckResult {
  title: string;
  plots: PlotSeen[];
  images: ImageSeen[];
  /** Console errors, uncaught exceptions and browser log errors, as text. */
  consoleErrors: string[];
  /** Resources that failed to load: "URL: reason". */
  failedRequests: string[];
  /** True when the page is wider than the viewport (a horizontal scroll bar). */
  overflowsHorizontally: boolean;
  /**
   * Tables wider than the column they sit in (cut, or scrolling sideways), by caption or first
   * header cell, with both widths in CSS px.
   */
  cutTables: { table: string; width: number; room: number }[];
  /** Text of the h1 and h2 headings, in order. */
  headings: string[];
}

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--no-default-browser-check",
  // Without these Chromium reaches for the network, which a closed machine refuses.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--hide-scrollbars",
  "--mute-audio",
  "--remote-debugging-port=0",
];

/** Opens `htmlPath` in headless Chromium and returns what rendered. */
export async function browserCheck(
  htmlPath: string,
  options: BrowserCheckOptions = {},
): Promise<BrowserCheckResult> {
  const chromium = options.chromium ?? DEFAULT_CHROMIUM;
  const timeoutMs = options.timeoutMs ?? 90_000;
  const viewport = options.viewport ?? { width: 1100, height: 900 };
  const file = resolve(htmlPath);
  try {
    await Deno.stat(file);
  } catch {
    throw new Error(`Cannot check ${file} in a browser: the file does not exist`);
  }
  try {
    await Deno.stat(chromium);
  } catch {
    throw new Error(
      `Cannot check ${file} in a browser: no Chromium at ${chromium}; install it (apt-get install chromium)`,
    );
  }
  const deadline = Date.now() + timeoutMs;
  const profile = await Deno.makeTempDir({ prefix: "browser-check-" });
  const child = new Deno.Command(chromium, {
    args: [
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${profile}`,
      `--window-size=${viewport.width},${viewport.height}`,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new StderrTail(child.stderr);
  let cdp: Cdp | undefined;
  try {
    const endpoint = await stderr.waitFor(/DevTools listening on (ws:\/\/\S+)/, deadline);
    cdp = await Cdp.connect(endpoint, deadline);
    return await inspect(cdp, toFileUrl(file), { ...options, viewport }, deadline);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot check ${file} in Chromium: ${message}${stderr.hint()}`, { cause: error });
  } finally {
    await cdp?.close();
    await stop(child);
    await stderr.done;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

async function inspect(
  cdp: Cdp,
  url: string,
  options: BrowserCheckOptions & { viewport: { width: number; height: number } },
  deadline: number,
): Promise<BrowserCheckResult> {
  const { targetId } = await cdp.send<{ targetId: string }>("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await cdp.send<{ sessionId: string }>("Target.attachToTarget", {
    targetId,
    flatten: true,
  });
  const consoleErrors: string[] = [];
  const failedRequests: string[] = [];
  const requestUrls = new Map<string, string>();
  cdp.onEvent = (method, params) => {
    const p = params as Record<string, unknown>;
    if (method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert")) {
      const args = (p.args as { value?: unknown; description?: string }[] | undefined) ?? [];
      consoleErrors.push(args.map((a) => a.description ?? String(a.value)).join(" "));
    } else if (method === "Runtime.exceptionThrown") {
      const details = p.exceptionDetails as { text: string; exception?: { description?: string } };
      consoleErrors.push(details.exception?.description ?? details.text);
    } else if (method === "Log.entryAdded") {
      const entry = p.entry as { level: string; text: string; url?: string };
      if (entry.level === "error") {
        consoleErrors.push(entry.url ? `${entry.text} (${entry.url})` : entry.text);
      }
    } else if (method === "Network.requestWillBeSent") {
      requestUrls.set(p.requestId as string, (p.request as { url: string }).url);
    } else if (method === "Network.loadingFailed") {
      const failedUrl = requestUrls.get(p.requestId as string) ?? "(unknown URL)";
      failedRequests.push(`${shorten(failedUrl)}: ${p.errorText as string}`);
    } else if (method === "Network.responseReceived") {
      const response = p.response as { url: string; status: number };
      if (response.status >= 400) failedRequests.push(`${shorten(response.url)}: HTTP ${response.status}`);
    }
  };
  for (const domain of ["Page", "Runtime", "Log", "Network"]) {
    await cdp.send(`${domain}.enable`, {}, sessionId);
  }
  await cdp.send("Emulation.setDeviceMetricsOverride", {
    width: options.viewport.width,
    height: options.viewport.height,
    deviceScaleFactor: 1,
    mobile: false,
  }, sessionId);
  await cdp.send("Emulation.setEmulatedMedia", {
    features: [{ name: "prefers-color-scheme", value: options.colorScheme ?? "light" }],
  }, sessionId);
  const loaded = cdp.waitForEvent("Page.loadEventFired", deadline);
  const navigation = await cdp.send<{ errorText?: string }>("Page.navigate", { url }, sessionId);
  if (navigation.errorText) throw new Error(`navigation failed: ${navigation.errorText}`);
  await loaded;
  const evaluated = await cdp.send<{ result: { value?: PageFacts }; exceptionDetails?: { text: string } }>(
    "Runtime.evaluate",
    { expression: PAGE_FACTS, returnByValue: true, awaitPromise: true },
    sessionId,
  );
  if (!evaluated.result.value) {
    throw new Error(`inspecting the page failed: ${evaluated.exceptionDetails?.text}`);
  }
  const facts = evaluated.result.value;
  if (options.screenshotPath) {
    const { data } = await cdp.send<{ data: string }>("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      clip: {
        x: 0,
        y: 0,
        width: options.viewport.width,
        height: Math.min(facts.scrollHeight, 16_000),
        scale: 1,
      },
    }, sessionId);
    await Deno.writeFile(options.screenshotPath, Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
  }
  return {
    title: facts.title,
    plots: facts.plots.map((p) => ({ ...p, rendered: p.width > 0 && p.height > 0 && p.marks > 0 })),
    images: facts.images,
    consoleErrors,
    failedRequests,
    overflowsHorizontally: facts.scrollWidth > options.viewport.width,
    headings: facts.headings,
    cutTables: facts.cutTables,
  };
}

interface PageFacts {
  title: string;
  plots: Omit<PlotSeen, "rendered">[];
  images: ImageSeen[];
  headings: string[];
  scrollWidth: number;
  scrollHeight: number;
  cutTables: { table: string; width: number; room: number }[];
}

/** Runs in the page. Marks are shapes outside axes, grids and our title/legend group. */
const PAGE_FACTS = `(async () => {
  await Promise.all([...document.images].map((img) =>
    img.complete ? null : new Promise((done) => { img.addEventListener("load", done); img.addEventListener("error", done); })));
  const furniture = '[aria-label*="axis"], [aria-label*="grid"], [aria-label*="tick"], .plot-head';
  const svgs = [...document.querySelectorAll("svg")].filter((svg) => !svg.parentElement.closest("svg"));
  const plots = svgs.map((svg) => {
    const box = svg.getBoundingClientRect();
    const shapes = [...svg.querySelectorAll("path, line, polyline, polygon, rect, circle, ellipse")];
    const marks = shapes.filter((el) => !el.closest(furniture)).filter((el) => {
      const b = el.getBBox();
      return b.width > 0 || b.height > 0;
    });
    return { label: svg.getAttribute("aria-label") || "", width: box.width, height: box.height, marks: marks.length };
  });
  const images = [...document.images].map((img) => ({
    src: img.src.length > 64 ? img.src.slice(0, 64) + "…" : img.src,
    alt: img.alt,
    naturalWidth: img.naturalWidth,
    naturalHeight: img.naturalHeight,
    loaded: img.complete && img.naturalWidth > 0,
  }));
  const headings = [...document.querySelectorAll("h1, h2")].map((h) => h.textContent.trim());
  const root = document.documentElement;
  const column = document.querySelector("main") || document.body;
  const cutTables = [...document.querySelectorAll("table")].map((t) => {
    const label = (t.querySelector("caption") || t.querySelector("th") || t).textContent.trim().slice(0, 60);
    const room = Math.min(t.parentElement.clientWidth, column.clientWidth);
    return { table: label, width: t.scrollWidth, room };
  }).filter((t) => t.width > t.room + 1);
  return { title: document.title, plots, images, headings, scrollWidth: root.scrollWidth, scrollHeight: root.scrollHeight, cutTables };
})()`;

function shorten(url: string): string {
  return url.length > 120 ? url.slice(0, 120) + "…" : url;
}

/** Stops Chromium: SIGTERM, then SIGKILL if it has not exited within 3 s. */
async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already exited
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    child.status.then(() => true),
    new Promise<false>((done) => (timer = setTimeout(() => done(false), 3000))),
  ]);
  clearTimeout(timer);
  if (!exited) {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited in between
    }
    await child.status;
  }
}

/** Reads Chromium's stderr to the end (so its pipe never fills), keeping the last lines for errors. */
class StderrTail {
  readonly done: Promise<void>;
  #lines: string[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#pump(stream);
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    let pending = "";
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop()!;
        this.#lines.push(...lines);
        if (this.#lines.length > 200) this.#lines.splice(0, this.#lines.length - 200);
        this.#wake();
      }
    } finally {
      if (pending) this.#lines.push(pending);
      this.#ended = true;
      this.#wake();
    }
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits for a line matching `pattern` and returns its first group. */
  async waitFor(pattern: RegExp, deadline: number): Promise<string> {
    while (true) {
      for (const line of this.#lines) {
        const m = pattern.exec(line);
        if (m) return m[1]!;
      }
      if (this.#ended) throw new Error("Chromium exited before it opened its DevTools port");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for Chromium to start");
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((done) => {
        this.#waiters.push(done);
        timer = setTimeout(done, left);
      });
      clearTimeout(timer);
    }
  }

  /** The last few stderr lines that look like errors, for an error message. */
  hint(): string {
    const errors = this.#lines.filter((l) => /error|fatal/i.test(l) && !/dbus|bus\.cc/i.test(l)).slice(-3);
    return errors.length > 0 ? `\nChromium said:\n${errors.join("\n")}` : "";
  }
}

/** A minimal Chrome DevTools Protocol client: numbered commands, replies by id, events to one handler. */
class Cdp {
  onEvent: (method: string, params: unknown) => void = () => {};
  #socket: WebSocket;
  #nextId = 1;
  #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #eventWaiters = new Map<string, (() => void)[]>();
  #deadline: number;

  private constructor(socket: WebSocket, deadline: number) {
    this.#socket = socket;
    this.#deadline = deadline;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
        method?: string;
        params?: unknown;
      };
      if (message.id !== undefined) {
        const waiter = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(message.error.message));
        else waiter?.resolve(message.result);
      } else if (message.method) {
        this.onEvent(message.method, message.params);
        for (const w of this.#eventWaiters.get(message.method)?.splice(0) ?? []) w();
      }
    };
    socket.onclose = () => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error("the DevTools connection closed"));
      this.#pending.clear();
    };
  }

  static connect(endpoint: string, deadline: number): Promise<Cdp> {
    const socket = new WebSocket(endpoint);
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve(new Cdp(socket, deadline));
      socket.onerror = () => reject(new Error(`cannot connect to ${endpoint}`));
    });
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.#nextId++;
    this.#socket.send(JSON.stringify(sessionId ? { id, method, params, sessionId } : { id, method, params }));
    return this.#withDeadline(
      new Promise<T>((resolve, reject) =>
        this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      ),
      method,
    );
  }

  waitForEvent(method: string, deadline: number): Promise<void> {
    const seen = new Promise<void>((resolve) => {
      const list = this.#eventWaiters.get(method) ?? [];
      list.push(resolve);
      this.#eventWaiters.set(method, list);
    });
    return this.#withDeadline(seen, method, deadline);
  }

  async #withDeadline<T>(promise: Promise<T>, what: string, deadline = this.#deadline): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}`)),
        Math.max(0, deadline - Date.now()),
      );
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asks the browser to close, then closes the socket and waits for it to be closed. */
  async close(): Promise<void> {
    if (this.#socket.readyState === WebSocket.OPEN) {
      const closed = new Promise<void>((done) => this.#socket.addEventListener("close", () => done()));
      await this.send("Browser.close").catch(() => {});
      if (this.#socket.readyState === WebSocket.OPEN) this.#socket.close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([closed, new Promise<void>((done) => (timer = setTimeout(done, 2000)))]);
      clearTimeout(timer);
    }
  }
}
