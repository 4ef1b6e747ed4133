/**
 * Every command line the README and `--help` show runs, against a store of the test's own: quick
 * pipelines for real, anything that would train with --dry-run (the plan, params and paths are still
 * checked), queries after a real run so that they see data. An example with a param no pipeline has
 * fails here.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";

const README = new URL("../README.md", import.meta.url);

/**
 * Shell words of one command: quotes group (and may span lines); a `#` comment, a redirection (`>`) or a
 * pipe (`|`) ends the command.
 */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let quote: string | null = null;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if ((c === "#" || c === ">" || c === "|") && !started) {
      break; // a comment, or a redirection or pipe: the command ends here
    } else if (/\s/.test(c)) {
      if (started) words.push(word);
      word = "";
      started = false;
    } else {
      word += c;
      started = true;
    }
  }
  if (quote) throw new Error(`Unclosed quote in README command: ${text}`);
  if (started) words.push(word);
  return words;
}

/** The `deno task …` commands of the README's sh blocks, as argument lists after `task`. */
export function readmeCommands(markdown: string): string[][] {
  const commands: string[][] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = block[1]!.split("\n");
    for (let i = 0; i < lines.length; i++) {
      let text = lines[i]!;
      // A quoted argument may continue on the next lines.
      while ((text.split('"').length - 1) % 2 === 1 && i + 1 < lines.length) text += "\n" + lines[++i];
      const words = shellWords(text);
      const task = words.indexOf("task");
      if (task < 0 || !/(^|\/)deno(@[\d.]+)?$/.test(words[task - 1] ?? "")) continue;
      commands.push(words.slice(task + 1));
    }
  }
  return commands;
}

/** The example lines (`  deno task …`) of every command's `--help`. */
async function helpCommands(store: { data: string; reports: string }): Promise<string[][]> {
  const main = await cli(store, ["--help"]);
  const names = [...main.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!);
  const commands: string[][] = [];
  for (const name of names) {
    const help = await cli(store, [name, "--help"]);
    assert.equal(help.code, 0, `${name} --help: ${help.stderr}`);
    const examples = help.stdout.split("\nExamples:\n")[1] ?? "";
    for (const line of examples.split("\n")) {
      if (line.trim().startsWith("deno task ")) commands.push(shellWords(line).slice(2));
    }
  }
  return commands;
}

/** Pipelines quick enough to run for real in a test. */
const QUICK = new Set(["gillespie"]);

Deno.test("README's command lines are found, quoted arguments and all", () => {
  const commands = readmeCommands(Deno.readTextFileSync(README));
  assert.ok(commands.length >= 15, `${commands.length} commands`);
  assert.deepEqual(commands[0], ["run", "wgan-div"]);
  const multiline = commands.find((c) => c[0] === "query" && c[1] === "--csv");
  assert.ok(multiline && multiline[2]!.includes("\n"), "a query spanning two lines is one argument");
});

Deno.test("every command line the README and --help show runs (training ones as --dry-run)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "readme-" });
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  const help = await helpCommands(store);
  assert.ok(help.length >= 8, `${help.length} --help examples`);
  const commands = [...readmeCommands(await Deno.readTextFile(README)), ...help];
  // Real runs first, so that queries and status have something to read.
  const order = (c: string[]) => (c[0] === "run" && QUICK.has(c[1]!) ? 0 : c[0] === "run" ? 1 : 2);
  for (const args of [...commands].sort((a, b) => order(a) - order(b))) {
    if (args[0] === "test" || args[0] === "bench" || args[0] === "setup-cuda") continue; // not a CLI command
    const real = args[0] !== "run" || (QUICK.has(args[1]!) && !args.includes("scale=full"));
    const argv = real || args.includes("--dry-run") ? args : [...args, "--dry-run"];
    const r = await cli(store, argv);
    assert.equal(r.code, 0, `deno task ${argv.join(" ")}\n${r.stdout}\n${r.stderr}`);
  }
  await Deno.remove(dir, { recursive: true });
});
