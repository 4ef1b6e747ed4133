/**
 * What a run shows the user. On a terminal, each running stage gets a live line (counter, rate, ETA,
 * the stage's own text) redrawn in place; in a log (not a TTY), plain lines at every 10% of progress.
 * Colours follow NO_COLOR (https://no-color.org) and are off when not on a terminal.
 *
 * @module
 */
import type { ProgressUpdate } from "./stage.ts";

export interface Style {
  ok(s: string): string;
  warn(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function makeStyle(color: boolean): Style {
  const wrap =
    (code: number, reset: number) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[${reset}m` : s);
  return { ok: wrap(32, 39), warn: wrap(33, 39), bad: wrap(31, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

/** Whether to use colour on stderr: a terminal, and NO_COLOR unset or empty. */
export function wantColor(): boolean {
  return Deno.stderr.isTerminal() && !Deno.env.get("NO_COLOR");
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

interface Live {
  label: string;
  started: number;
  update?: ProgressUpdate;
  /** The last 10% milestone printed, in plain mode. */
  milestone: number;
}

/** Progress lines of running stages, drawn on stderr. */
export class ProgressBoard {
  readonly #tty: boolean;
  readonly #style: Style;
  readonly #live = new Map<string, Live>();
  #drawn = 0;
  #lastDraw = 0;
  readonly #write: (s: string) => void;

  constructor(options: { tty?: boolean; style?: Style; write?: (s: string) => void } = {}) {
    this.#tty = options.tty ?? Deno.stderr.isTerminal();
    this.#style = options.style ?? makeStyle(wantColor());
    const encoder = new TextEncoder();
    this.#write = options.write ?? ((s) => void Deno.stderr.writeSync(encoder.encode(s)));
  }

  start(id: string, label: string): void {
    this.#live.set(id, { label, started: performance.now(), milestone: 0 });
    this.#redraw(true);
  }

  update(id: string, update: ProgressUpdate): void {
    const live = this.#live.get(id);
    if (!live) return;
    live.update = update;
    if (this.#tty) {
      this.#redraw(false);
      return;
    }
    const tenth = update.total > 0 ? Math.floor((update.done / update.total) * 10) : 0;
    if (tenth > live.milestone && tenth < 10) {
      live.milestone = tenth;
      this.#write(`  ${live.label} ${this.#describe(live)}\n`);
    }
  }

  /** Removes a stage's live line (the caller then prints its permanent line with `print`). */
  stop(id: string): void {
    this.#live.delete(id);
    this.#redraw(true);
  }

  /** Prints a permanent line above the live lines. */
  print(line: string): void {
    this.#clear();
    this.#write(line + "\n");
    this.#redraw(true);
  }

  #describe(live: Live): string {
    const u = live.update;
    if (!u) return this.#style.dim(formatDuration(performance.now() - live.started));
    const elapsed = performance.now() - live.started;
    const rate = u.done > 0 ? u.done / (elapsed / 1000) : 0;
    const eta = rate > 0 && u.total > u.done ? formatDuration(((u.total - u.done) / rate) * 1000) : "";
    const pct = u.total > 0 ? `${Math.floor((u.done / u.total) * 100)}%` : "";
    const parts = [
      `${u.done}/${u.total}`,
      pct,
      rate > 0 ? `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(2)}/s` : "",
      eta ? `ETA ${eta}` : "",
      u.text ?? "",
    ];
    return parts.filter(Boolean).join("  ");
  }

  #clear(): void {
    if (!this.#tty || this.#drawn === 0) return;
    this.#write(`\x1b[${this.#drawn}A\x1b[0J`);
    this.#drawn = 0;
  }

  #redraw(force: boolean): void {
    if (!this.#tty) return;
    const now = performance.now();
    if (!force && now - this.#lastDraw < 100) return; // at most 10 redraws a second
    this.#lastDraw = now;
    this.#clear();
    const width = Math.max(40, Deno.stderr.isTerminal() ? (Deno.consoleSize().columns || 80) : 80);
    const lines = [...this.#live.values()].map((live) =>
      `  ${this.#style.bold("▸")} ${live.label} ${this.#describe(live)}`.slice(0, width - 1)
    );
    if (lines.length) this.#write(lines.join("\n") + "\n");
    this.#drawn = lines.length;
  }
}
