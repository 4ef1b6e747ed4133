/**
 * From command-line flags and the project config to what a run uses beyond this process: the executor
 * (`--executor local|slurm`) and the remote cache (`--remote URL|NAME`, or the config's default) attached
 * to the store. Heavy or optional modules (the S3 client, Slurm) load only when asked for.
 *
 * @module
 */
import { type Executor, EXECUTORS } from "./executor.ts";
import { type ProjectConfig, readProjectConfig } from "./project_config.ts";
import type { Store } from "./store.ts";

/** Thrown for a wrong `--executor` or a remote that cannot be used as given; exit code 2. */
export class ScaleoutUsageError extends Error {
  override name = "ScaleoutUsageError";
}

export interface ScaleoutFlags {
  executor?: string;
  remote?: string;
}

/** The executor name of `flag` (default local), checked. */
export function executorName(flag: string | undefined): "local" | "slurm" {
  const name = flag ?? "local";
  if (!(EXECUTORS as readonly string[]).includes(name)) {
    throw new ScaleoutUsageError(`--executor takes ${EXECUTORS.join(" or ")}, got '${name}'`);
  }
  return name as "local" | "slurm";
}

/**
 * Attaches the remote of `flag` (or of the config's default) to `store`, for read-through and
 * write-through, or with `peek` (dry runs, status) only to look. Returns its URL, or null for none.
 */
export async function attachRemote(
  store: Store,
  flag: string | undefined,
  options: { peek?: boolean; reads?: boolean; writes?: boolean; config?: ProjectConfig } = {},
): Promise<string | null> {
  const config = options.config ?? readProjectConfig();
  if (!flag && !config.remote) return null;
  const { resolveRemote, RemoteConfigError, S3RemoteCache } = await import("./remote_cache.ts");
  try {
    const spec = resolveRemote(flag, config);
    const reads = options.reads ?? true, writes = options.writes ?? true;
    // A read-only store takes nothing in; push only reads it.
    if (!spec || (store.readOnly && (reads || writes))) return null;
    store.remote = new S3RemoteCache(spec, {
      peek: options.peek ?? false,
      reads,
      writes,
    });
    return spec.url;
  } catch (error) {
    if (error instanceof RemoteConfigError) throw new ScaleoutUsageError(error.message);
    throw error;
  }
}

/**
 * The executor a run uses. For slurm, checks that Slurm answers and makes the executor that submits
 * each stage with the run's pipeline, `--set`s, `--force`s and remote.
 */
export async function makeExecutor(o: {
  flag: string | undefined;
  root: string;
  target: { name: string; file: boolean };
  sets: readonly string[];
  force: readonly string[];
  config?: ProjectConfig;
}): Promise<Executor | undefined> {
  if (executorName(o.flag) === "local") return undefined;
  const config = o.config ?? readProjectConfig();
  const { checkSlurm, SlurmExecutor, SlurmUnavailableError } = await import("./slurm.ts");
  try {
    await checkSlurm(config.slurm);
  } catch (error) {
    if (error instanceof SlurmUnavailableError) throw new ScaleoutUsageError(error.message);
    throw error;
  }
  return new SlurmExecutor({
    root: o.root,
    target: o.target,
    sets: o.sets,
    force: o.force,
    config: config.slurm ?? {},
  });
}

/**
 * How many sweep points run at once: `--jobs` when given; on Slurm, as many as the cluster has idle
 * CPUs for one stage job each (the points' drivers only wait on srun), at least one.
 */
export async function sweepJobs(
  jobs: number | undefined,
  executor: string | undefined,
  points: number,
): Promise<number> {
  if (jobs !== undefined || executorName(executor) === "local") return jobs ?? 1;
  const config = readProjectConfig();
  const { DEFAULT_RESOURCES, idleCpus } = await import("./slurm.ts");
  const idle = await idleCpus(config.slurm?.partition);
  const perJob = config.slurm?.cpus ?? DEFAULT_RESOURCES.cpus;
  return Math.max(1, Math.min(points, Math.floor((idle ?? perJob) / perJob)));
}
