/**
 * The project's config file, `.repro/config.json` (or the file named by $REPRO_CONFIG): named remotes
 * for the shared cache and the defaults of Slurm jobs. It holds no secrets: S3 credentials come only
 * from the AWS_* environment variables, and a config that names one is refused.
 *
 * ```json
 * {
 *   "remote": "team",
 *   "remotes": {
 *     "team": { "url": "s3://lab-cache/repro", "endpoint": "https://s3.lab.example.org", "region": "us-east-1" }
 *   },
 *   "slurm": { "partition": "cpu", "cpus": 2, "memoryMB": 4000, "timeMinutes": 120, "args": ["--account=lab"] }
 * }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { PROJECT_ROOT } from "./paths.ts";

/** A remote as the config names it. */
export interface RemoteConfig {
  url: string;
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
}

/** Defaults of every stage job that `--executor slurm` submits (a stage kind's own needs win). */
export interface SlurmConfig {
  partition?: string;
  cpus?: number;
  memoryMB?: number;
  gpus?: number;
  timeMinutes?: number;
  /** Extra `srun` arguments, e.g. `--account=lab` or `--qos=short`. */
  args?: string[];
  /** The srun command (default `srun` on the PATH). */
  srun?: string;
}

export interface ProjectConfig {
  /** The remote used when `--remote` is not given: a name of `remotes`, or an s3:// URL. */
  remote?: string;
  remotes?: Record<string, RemoteConfig>;
  slurm?: SlurmConfig;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const SECRET = /secret|password|token|access.?key|credential/i;

const schema = () => {
  const positive = z.number().int().min(1).exactOptional();
  return z.object({
    remote: z.string().min(1).exactOptional(),
    remotes: z.record(
      z.string(),
      z.object({
        url: z.string().regex(/^s3:\/\/[^/]+/, "expected s3://bucket[/prefix]"),
        endpoint: z.url().exactOptional(),
        region: z.string().min(1).exactOptional(),
        pathStyle: z.boolean().exactOptional(),
      }).strict(),
    ).exactOptional(),
    slurm: z.object({
      partition: z.string().min(1).exactOptional(),
      cpus: positive,
      memoryMB: positive,
      gpus: z.number().int().min(0).exactOptional(),
      timeMinutes: positive,
      args: z.array(z.string()).exactOptional(),
      srun: z.string().min(1).exactOptional(),
    }).strict().exactOptional(),
  }).strict();
};

/** Where the config is read from: $REPRO_CONFIG, else `<project>/.repro/config.json`. */
export function configPath(): string {
  return Deno.env.get("REPRO_CONFIG") ?? `${PROJECT_ROOT}/.repro/config.json`;
}

/** Finds the first key under `value` that looks like a secret, as a dotted path. */
function secretKey(value: unknown, path: string[] = []): string | null {
  if (value === null || typeof value !== "object") return null;
  for (const [k, v] of Object.entries(value)) {
    if (SECRET.test(k)) return [...path, k].join(".");
    const inner = secretKey(v, [...path, k]);
    if (inner) return inner;
  }
  return null;
}

/** Reads the config; a missing file is an empty config, a wrong one a ConfigError naming the field. */
export function readProjectConfig(path = configPath()): ProjectConfig {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw new ConfigError(`Cannot read the config ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`The config ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const secret = secretKey(data);
  if (secret) {
    throw new ConfigError(
      `The config ${path} holds '${secret}': credentials never go into the config. Remove it and set ` +
        `AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN if any) in the environment`,
    );
  }
  const parsed = schema().safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(
      `The config ${path} is wrong at ${issue.path.join(".") || "(top)"}: ${issue.message}`,
    );
  }
  return parsed.data as ProjectConfig;
}
