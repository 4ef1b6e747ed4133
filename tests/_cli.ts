/**
 * Runs the CLI as a user would, in a subprocess against a given store, and reads its output.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../engine/cli.ts", import.meta.url));

/** A store and a reports folder of a test's own. */
export interface TestStore {
  data: string;
  reports: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command for `deno task <args>` against `store` (colours off), to spawn or to run to the end. */
export function cliCommand(store: TestStore, args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      CLI,
      ...args,
      "--data-dir",
      store.data,
      ...(args[0] === "run" ? ["--reports-dir", store.reports] : []),
    ],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs the CLI to the end. */
export async function cli(
  store: TestStore,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const output = await cliCommand(store, args, env).output();
  const dec = new TextDecoder();
  return { code: output.code, stdout: dec.decode(output.stdout), stderr: dec.decode(output.stderr) };
}

export type Status = "ran" | "cached" | "failed" | "skipped";

/** Stage → status, read from a run's result lines ("✓ name", "· name", "✗ name", "– name"). */
export function statuses(result: CliResult): Record<string, Status> {
  const out: Record<string, Status> = {};
  const symbols: Record<string, Status> = { "✓": "ran", "·": "cached", "✗": "failed", "–": "skipped" };
  for (const line of result.stdout.split("\n")) {
    const m = /^ {2}([✓·✗–]) (\S+)/.exec(line);
    if (m) out[m[2]!] = symbols[m[1]!]!;
  }
  return out;
}
