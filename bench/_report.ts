/**
 * Shared benchmark output: aligned tables and a note of the machine's load, so that every number
 * printed by `deno task bench` comes with the conditions it was taken under.
 *
 * @module
 */

export type Cell = string | number | null | undefined;

/** Formats a number with `digits` significant digits, or "—" when missing. */
export function fmt(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3)) {
    return value.toExponential(digits - 1);
  }
  return Number(value.toPrecision(digits)).toString();
}

/** Prints a titled table with right-aligned numeric columns. */
export function printTable(title: string, header: string[], rows: Cell[][], note?: string): void {
  const text = rows.map((row) => row.map((c) => (typeof c === "number" ? fmt(c) : (c ?? "—"))));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? "").length)));
  const numeric = header.map((_, i) =>
    rows.every((r) => typeof r[i] === "number" || r[i] === null || r[i] === undefined)
  );
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ") +
    " |";
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(
    "|" + widths.map((w, i) => (numeric[i] ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|",
  );
  for (const r of text) console.log(line(r));
  if (note) console.log(note);
}

export interface LoadNote {
  loadavg1: number;
  cores: number;
  /** Other processes that used more than 20% of a core over the sampling window. */
  busy: { pid: number; command: string; cpuPercent: number }[];
}

function readProcTimes(): Map<number, { ticks: number; command: string }> {
  const out = new Map<number, { ticks: number; command: string }>();
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const close = stat.lastIndexOf(")");
      const command = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      out.set(pid, { ticks: Number(fields[11]) + Number(fields[12]), command });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Samples the machine's load over `windowMs` (default 500 ms), excluding this process. */
export async function measureLoad(windowMs = 500): Promise<LoadNote> {
  const before = readProcTimes();
  await new Promise((r) => setTimeout(r, windowMs));
  const after = readProcTimes();
  const ticksPerSecond = 100;
  const busy: LoadNote["busy"] = [];
  for (const [pid, a] of after) {
    const b = before.get(pid);
    if (!b || pid === Deno.pid) continue;
    const cpuPercent = ((a.ticks - b.ticks) / ticksPerSecond) / (windowMs / 1000) * 100;
    if (cpuPercent > 20) busy.push({ pid, command: a.command, cpuPercent: Math.round(cpuPercent) });
  }
  const loadavg1 = Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  return { loadavg1, cores: navigator.hardwareConcurrency, busy };
}

/** Prints one line describing the machine's load, to put numbers in context. */
export async function printLoad(label = "machine load"): Promise<LoadNote> {
  const load = await measureLoad();
  const busy = load.busy.length === 0
    ? "no other process above 20% CPU"
    : "busy: " + load.busy.map((p) => `${p.command}(${p.pid}) ${p.cpuPercent}%`).join(", ");
  console.log(`${label}: ${load.cores} cores, 1-min load average ${load.loadavg1.toFixed(2)}, ${busy}`);
  return load;
}

const PROJECT_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * `deno <args>` in the project root with `env`, its stdout as text; throws with both streams when it
 * fails, so that a benchmark stops at the command that broke instead of printing a wrong number.
 */
export async function denoOutput(args: string[], env: Record<string, string>): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: PROJECT_ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) {
    throw new Error(`deno ${args.join(" ")} failed:\n${text}${new TextDecoder().decode(stderr)}`);
  }
  return text;
}
