/**
 * Finds pipelines: each is a module `pipelines/<name>.ts` (or `pipelines/<name>/pipeline.ts`) that
 * exports `pipeline`, with the CLI name in kebab case (`wgan_div.ts` → `wgan-div`).
 *
 * A name only ever resolves inside `pipelines/`: loading a pipeline imports (runs) its module, so a name
 * like `../../etc/passwd` must not reach `import()`. A path to a module inside `pipelines/` works too;
 * a module anywhere else (a pipeline under development, a test's throwaway project) is run only when
 * asked for explicitly, with `run --file PATH` (`{ file: true }`).
 *
 * @module
 */
import { resolve } from "node:path";
import { toFileUrl } from "./paths.ts";
import type { PipelineDef } from "./pipeline.ts";
import { closestAll } from "./suggest.ts";

/** CLI names of the pipelines under `<root>/pipelines`, sorted. Imports nothing. */
export function pipelineNames(root: string): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(`${root}/pipelines`)) {
    if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    if (
      entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts") &&
      entry.name !== "mod.ts"
    ) {
      names.push(entry.name.slice(0, -3).replaceAll("_", "-"));
    } else if (entry.isDirectory) {
      try {
        Deno.statSync(`${root}/pipelines/${entry.name}/pipeline.ts`);
        names.push(entry.name.replaceAll("_", "-"));
      } catch {
        // a folder of helpers, not a pipeline
      }
    }
  }
  return names.sort();
}

export class UnknownPipelineError extends Error {
  override name = "UnknownPipelineError";
}

function modulePath(root: string, name: string): string | null {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) return null; // "..", "a.b": no file name of pipelines/
  const snake = name.replaceAll("-", "_");
  for (const path of [`${root}/pipelines/${snake}.ts`, `${root}/pipelines/${snake}/pipeline.ts`]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // try the next layout
    }
  }
  return null;
}

/** The real path of `path`, or null when it does not exist. */
function realPath(path: string): string | null {
  try {
    return Deno.realPathSync(path);
  } catch {
    return null;
  }
}

/**
 * Loads a pipeline by CLI name (or a path to a module inside `<root>/pipelines/`), or with
 * `options.file` the module at the path `nameOrPath`, wherever it is. Unknown names get the closest names
 * suggested; nothing outside `pipelines/` is imported without `options.file`.
 */
export async function loadPipeline(
  root: string,
  nameOrPath: string,
  options: { file?: boolean } = {},
): Promise<PipelineDef> {
  let path: string | null;
  if (options.file) {
    path = resolve(nameOrPath);
    if (realPath(path) === null) {
      throw new UnknownPipelineError(`Cannot load pipeline module ${nameOrPath}: it does not exist`);
    }
  } else {
    const isPath = nameOrPath.endsWith(".ts") || nameOrPath.includes("/");
    path = isPath ? insidePipelines(root, nameOrPath) : modulePath(root, nameOrPath);
    if (!path) {
      const names = pipelineNames(root);
      const guesses = isPath ? [] : closestAll(nameOrPath, names);
      throw new UnknownPipelineError(
        isPath
          ? `Cannot run '${nameOrPath}': it is not a pipeline in ${root}/pipelines/. Pipelines are named ` +
            `by their module there (available: ${names.join(", ")}); to run a module elsewhere, pass ` +
            `it with --file PATH.`
          : `Unknown pipeline '${nameOrPath}'.` + (guesses.length
            ? ` Did you mean ${guesses.map((g) => `'${g}'`).join(" or ")}?`
            : "") +
            ` Available: ${names.join(", ")} (deno task list describes them).`,
      );
    }
  }
  let mod: { pipeline?: PipelineDef };
  try {
    mod = await import(toFileUrl(path));
  } catch (error) {
    if (options.file && error instanceof Error && /Module not found/.test(error.message)) {
      throw new UnknownPipelineError(`Cannot load pipeline module ${path}: it does not exist`);
    }
    throw error;
  }
  if (!mod.pipeline) {
    throw new UnknownPipelineError(`Cannot load pipeline from ${path}: it does not export 'pipeline'`);
  }
  return mod.pipeline;
}

/** The module at `path` if it is a TypeScript file inside `<root>/pipelines/` (links resolved), else null. */
function insidePipelines(root: string, path: string): string | null {
  const real = realPath(resolve(path));
  const folder = realPath(`${root}/pipelines`);
  if (!real || !folder || !real.startsWith(folder + "/") || !/\.[cm]?[jt]s$/.test(real)) return null;
  return Deno.statSync(real).isFile ? real : null;
}
