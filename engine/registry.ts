/**
 * Finds pipelines: each is a module `pipelines/<name>.ts` (or `pipelines/<name>/pipeline.ts`) that
 * exports `pipeline`, with the CLI name in kebab case (`wgan_div.ts` → `wgan-div`). A path to a module
 * works too, for a pipeline under development.
 *
 * @module
 */
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

/** Loads a pipeline by CLI name or module path. Unknown names get the closest names suggested. */
export async function loadPipeline(root: string, nameOrPath: string): Promise<PipelineDef> {
  const isPath = nameOrPath.endsWith(".ts") || nameOrPath.includes("/");
  const path = isPath ? nameOrPath : modulePath(root, nameOrPath);
  if (!path) {
    const names = pipelineNames(root);
    const guesses = closestAll(nameOrPath, names);
    throw new UnknownPipelineError(
      `Unknown pipeline '${nameOrPath}'.` + (guesses.length
        ? ` Did you mean ${guesses.map((g) => `'${g}'`).join(" or ")}?`
        : "") +
        ` Available: ${names.join(", ")} (deno task list describes them).`,
    );
  }
  const url = toFileUrl(path.startsWith("/") ? path : `${Deno.cwd()}/${path}`);
  let mod: { pipeline?: PipelineDef };
  try {
    mod = await import(url);
  } catch (error) {
    if (isPath && error instanceof Error && /Module not found/.test(error.message)) {
      throw new UnknownPipelineError(`Cannot load pipeline module ${path}: it does not exist`);
    }
    throw error;
  }
  if (!mod.pipeline) {
    throw new UnknownPipelineError(`Cannot load pipeline from ${path}: it does not export 'pipeline'`);
  }
  return mod.pipeline;
}
