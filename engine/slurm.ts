/**
 * `--executor slurm`: each stage the runner decides to execute runs as one Slurm job, submitted with
 * `srun` (it blocks until the job ends and returns within ~60 ms of it; `sbatch --wait` only polls at
 * 2, 10, 42 s). The job runs `engine/cli.ts exec-stage` (exec_stage.ts) against the same store, which
 * must be shared between this host and the nodes (one host, NFS, or a store per node with a remote
 * cache in front).
 *
 * What is trusted: only the committed store entry (the key record and its verified object). A job
 * that exits 0 without one is a failure; one that exits non-zero after committing (killed between the
 * commit and its exit) is a success. The job's exit code and its result file
 * (`runs/<run>/logs/<stage>.result.json`) only explain a failure.
 *
 * A job that Slurm ended (time limit, node failure, preemption) is retried once: the stage's work
 * folder survives, so a checkpointing stage resumes. A job cancelled from outside (scancel) is
 * reported as such and left resumable for the next run. Ctrl-C cancels the running job (scancel) and
 * waits for it to stop, so that its work folder is not written by two processes.
 *
 * @module
 */
import { runDir } from "./history.ts";
import type { ExecuteArgs, ExecuteResult } from "./execute.ts";
import type { Executor } from "./executor.ts";
import type { PlannedStage } from "./plan.ts";
import type { SlurmConfig } from "./project_config.ts";
import type { StageResources } from "./stage.ts";
import type { KeyRecord, Store } from "./store.ts";

/** The resources of a job when neither the stage kind nor the config says otherwise. */
export const DEFAULT_RESOURCES = { cpus: 1, memoryMB: 2000, gpus: 0 } as const;

/** What one job asks for. */
export interface JobResources {
  cpus: number;
  memoryMB: number;
  gpus: number;
  timeMinutes?: number;
}

/**
 * The stage's needs: its kind's `resources(params)`, else the config's defaults, else
 * DEFAULT_RESOURCES. A stage whose params say `device: "cuda"` asks for one GPU unless it says more.
 */
export function stageResources(
  stage: Pick<PlannedStage, "kind" | "params">,
  config: SlurmConfig = {},
): JobResources {
  const declared: StageResources = stage.kind.resources?.(stage.params as never) ?? {};
  const device = (stage.params as { device?: unknown } | null)?.device;
  const time = declared.timeMinutes ?? config.timeMinutes;
  return {
    cpus: declared.cpus ?? config.cpus ?? DEFAULT_RESOURCES.cpus,
    memoryMB: declared.memoryMB ?? config.memoryMB ?? DEFAULT_RESOURCES.memoryMB,
    gpus: declared.gpus ?? (device === "cuda" ? 1 : config.gpus ?? DEFAULT_RESOURCES.gpus),
    ...(time !== undefined ? { timeMinutes: time } : {}),
  };
}

/** The job name: `repro-<first 12 hex of the key>-<stage>` (Slurm shows it in squeue). */
export function jobName(stage: string, key: string): string {
  return `repro-${key.slice(0, 12)}-${stage.replace(/[^A-Za-z0-9_.@-]/g, "_")}`;
}

/** The srun arguments (without the command) of one stage job. */
export function srunArgs(o: {
  name: string;
  resources: JobResources;
  config: SlurmConfig;
  chdir: string;
}): string[] {
  const r = o.resources;
  return [
    "--verbose", // prints "jobid N" (or "job N queued"), which Ctrl-C and the end-of-job check need
    `--job-name=${o.name}`,
    "--ntasks=1",
    "--nodes=1",
    `--cpus-per-task=${r.cpus}`,
    `--mem=${r.memoryMB}`,
    ...(r.gpus > 0 ? [`--gres=gpu:${r.gpus}`] : []),
    ...(r.timeMinutes !== undefined ? [`--time=${r.timeMinutes}`] : []),
    ...(o.config.partition ? [`--partition=${o.config.partition}`] : []),
    `--chdir=${o.chdir}`,
    "--kill-on-bad-exit=1",
    ...(o.config.args ?? []),
  ];
}

/** How a job ended, as Slurm's job state says (squeue -t all, or sacct). */
export type JobEnd =
  | { kind: "completed" }
  | { kind: "failed" }
  | { kind: "killed"; state: string; retry: boolean; why: string }
  | { kind: "unknown" };

/** States in which Slurm ended the job itself; the retried ones are those a rerun can get past. */
const KILLED: Record<string, { retry: boolean; why: string }> = {
  TIMEOUT: { retry: true, why: "reached its time limit" },
  NODE_FAIL: { retry: true, why: "lost its node" },
  PREEMPTED: { retry: true, why: "was preempted" },
  BOOT_FAIL: { retry: true, why: "could not boot its node" },
  DEADLINE: { retry: false, why: "reached its deadline" },
  OUT_OF_MEMORY: { retry: false, why: "ran out of memory (raise the stage's memoryMB)" },
  CANCELLED: { retry: false, why: "was cancelled (scancel, or an administrator)" },
};

/** Classifies a Slurm job state (`CANCELLED by 0` counts as CANCELLED). */
export function classifyJobState(state: string): JobEnd {
  const base = state.trim().split(/\s+/)[0]!.replace(/\+$/, "");
  if (base === "COMPLETED") return { kind: "completed" };
  if (base === "FAILED") return { kind: "failed" };
  const killed = KILLED[base];
  return killed ? { kind: "killed", state: base, ...killed } : { kind: "unknown" };
}

async function output(cmd: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null; // not installed
  }
}

/** The state of job `id`: from squeue while slurmctld remembers it (MinJobAge), else from sacct. */
export async function jobState(id: string): Promise<string | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const squeue = await output("squeue", ["-h", "-t", "all", "-j", id, "-o", "%T"]);
    if (squeue && !/^(RUNNING|COMPLETING|PENDING|CONFIGURING|SUSPENDED)$/.test(squeue)) return squeue;
    if (!squeue) break;
    await new Promise((r) => setTimeout(r, 100)); // still completing: ask again
  }
  const sacct = await output("sacct", ["-n", "-X", "-P", "-j", id, "-o", "State"]);
  return sacct ? sacct.split("\n")[0]! : null;
}

/** Idle CPUs of the cluster (or of `partition`), from `sinfo -o %C` (allocated/idle/other/total). */
export async function idleCpus(partition?: string): Promise<number | null> {
  const text = await output("sinfo", ["-h", "-o", "%C", ...(partition ? ["-p", partition] : [])]);
  if (!text) return null;
  let idle = 0;
  for (const line of text.split("\n")) {
    const parts = line.trim().split("/").map(Number);
    if (parts.length === 4 && parts.every(Number.isFinite)) idle += parts[1]!;
  }
  return idle;
}

/** Checks that Slurm answers; throws with what to do when it does not. */
export async function checkSlurm(config: SlurmConfig = {}): Promise<void> {
  const srun = config.srun ?? "srun";
  if ((await output(srun, ["--version"])) === null) {
    throw new SlurmUnavailableError(
      `--executor slurm needs Slurm's ${srun} on the PATH (Debian: apt-get install slurm-client), ` +
        `and a cluster it reaches (SLURM_CONF)`,
    );
  }
  if ((await output("sinfo", ["-h", "-o", "%C"])) === null) {
    throw new SlurmUnavailableError(
      `--executor slurm: sinfo cannot reach a Slurm controller (is slurmctld running, and SLURM_CONF ` +
        `set to its config${Deno.env.get("SLURM_CONF") ? `, now ${Deno.env.get("SLURM_CONF")}` : ""}?)`,
    );
  }
}

export class SlurmUnavailableError extends Error {
  override name = "SlurmUnavailableError";
}

/** What a driver passes to every job, so that it re-plans the same pipeline with the same params. */
export interface SlurmDriver {
  /** The project root (the job's working folder and where engine/cli.ts is). */
  root: string;
  /** The pipeline: its name, or a module path with `file`. */
  target: { name: string; file: boolean };
  /** The `--set` texts of the run. */
  sets: readonly string[];
  /** The `--force` stages of the run. */
  force: readonly string[];
  config: SlurmConfig;
}

/** The result a job writes for the driver (exec_stage.ts); it explains failures, it proves nothing. */
export interface JobResult {
  ok: boolean;
  status: string;
  error?: string;
  interrupted?: boolean;
  host?: string;
  jobId?: string;
}

export function resultPath(store: Store, runId: string, stage: string): string {
  return `${runDir(store, runId)}/logs/${stage}.result.json`;
}

/** The verified committed entry of `key`, or null: the only thing the driver trusts. */
async function committedEntry(store: Store, key: string): Promise<KeyRecord | null> {
  const read = store.lookupKey(key);
  if (!read.ok) return null;
  const check = await store.verifyObject(read.value.object);
  return check.ok ? read.value : null;
}

/** One srun, seen from the driver. */
interface Attempt {
  code: number;
  jobId: string | null;
  cancelledByUs: boolean;
  /** srun's own error lines (e.g. "Unable to allocate resources: …"). */
  srunErrors: string[];
}

export class SlurmExecutor implements Executor {
  readonly name = "slurm";
  readonly #driver: SlurmDriver;

  constructor(driver: SlurmDriver) {
    this.#driver = driver;
  }

  async execute(a: ExecuteArgs): Promise<ExecuteResult> {
    const resources = stageResources(a.stage, this.#driver.config);
    let retried: string | null = null;
    for (let attempt = 1;; attempt++) {
      const run = await this.#submit(a, resources, attempt);
      const record = await committedEntry(a.store, a.key);
      if (record) {
        // Write-through from the driver, which has the remote: the job only computes and commits.
        if (a.store.remote?.writes) await a.store.remote.upload(a.store, record);
        return { ok: true, record };
      }
      const result = readJobResult(resultPath(a.store, a.run.runId, a.stage.name));
      if (run.cancelledByUs || a.signal?.aborted) {
        return {
          ok: false,
          error: "interrupted: its Slurm job was cancelled (work so far is kept for a resume)",
          interrupted: true,
        };
      }
      const state = run.jobId ? await jobState(run.jobId) : null;
      const end = state ? classifyJobState(state) : { kind: "unknown" as const };
      const job = run.jobId ? `Slurm job ${run.jobId}` : "its Slurm job";
      if (end.kind === "killed") {
        const what = `killed by Slurm: ${job} ${end.why} (${end.state})`;
        if (end.retry && attempt === 1) {
          retried = what;
          a.board.print(`    ${a.style.warn(`${a.stage.name}: ${what}; retrying once`)}`);
          continue;
        }
        const kept = await exists(a.store.workDir(a.key));
        return {
          ok: false,
          error: `${what}${retried ? " again after one retry" : ""}; ` +
            (kept
              ? `its work folder work/${
                a.key.slice(0, 12)
              }… is kept, so the next run resumes from its checkpoint`
              : "the next run starts it again"),
          interrupted: false,
        };
      }
      if (result && !result.ok && result.error) {
        return { ok: false, error: result.error, interrupted: false };
      }
      const log = `runs/${a.run.runId}/logs/${a.stage.name}.slurm.log`;
      if (run.srunErrors.length) {
        return {
          ok: false,
          error: `srun failed: ${run.srunErrors.join("; ")} (see ${log})`,
          interrupted: false,
        };
      }
      return {
        ok: false,
        error:
          `${job} exited with code ${run.code}${state ? ` (${state})` : ""} but committed no output under ` +
          `key ${a.key.slice(0, 12)}… (see ${log})`,
        interrupted: false,
      };
    }
  }

  async #submit(a: ExecuteArgs, resources: JobResources, attempt: number): Promise<Attempt> {
    const d = this.#driver;
    const name = jobName(a.stage.name, a.key);
    const logs = `${runDir(a.store, a.run.runId)}/logs`;
    await Deno.mkdir(logs, { recursive: true });
    await Deno.remove(resultPath(a.store, a.run.runId, a.stage.name)).catch(() => {});
    const logPath = `${logs}/${a.stage.name}.slurm.log`;
    const log = await Deno.open(logPath, { append: true, create: true });
    const encoder = new TextEncoder();
    const write = (line: string) => log.writeSync(encoder.encode(line + "\n"));
    const command = [
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      `${d.root}/engine/cli.ts`,
      "exec-stage",
      ...(d.target.file ? ["--file", d.target.name] : [d.target.name]),
      "--stage",
      a.stage.name,
      "--key",
      a.key,
      "--run-id",
      a.run.runId,
      "--data-dir",
      a.store.root,
      ...d.sets.flatMap((s) => ["--set", s]),
      ...d.force.flatMap((f) => ["--force", f]),
      ...(a.verbose ? ["--verbose"] : []),
    ];
    const args = [...srunArgs({ name, resources, config: d.config, chdir: d.root }), ...command];
    write(`# ${new Date().toISOString()} attempt ${attempt}: ${d.config.srun ?? "srun"} ${args.join(" ")}`);
    const child = new Deno.Command(d.config.srun ?? "srun", {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const attemptInfo: Attempt = { code: -1, jobId: null, cancelledByUs: false, srunErrors: [] };
    const gpus = resources.gpus ? `, ${resources.gpus} GPU` : "";
    const cancel = async () => {
      attemptInfo.cancelledByUs = true;
      const target = attemptInfo.jobId ? [attemptInfo.jobId] : [`--name=${name}`];
      await new Deno.Command("scancel", { args: target, stdout: "null", stderr: "null" }).output().catch(
        () => {},
      );
    };
    const onAbort = () => void cancel();
    a.signal?.addEventListener("abort", onAbort);
    const relay = async (stream: ReadableStream<Uint8Array>) => {
      let buffer = "";
      const line = (text: string) => {
        write(text);
        const id = /^srun: (?:jobid (\d+):|job (\d+) queued)/.exec(text);
        if (id && !attemptInfo.jobId) {
          attemptInfo.jobId = id[1] ?? id[2]!;
          const where = /nodes\(\d+\):`([^']*)'/.exec(text)?.[1];
          a.board.print(
            `    ${
              a.style.dim(
                `${a.stage.name}: Slurm job ${attemptInfo.jobId} (${name}, ${resources.cpus} CPU, ${resources.memoryMB} MB${gpus})${
                  where ? ` on ${where}` : ", queued"
                }`,
              )
            }`,
          );
          if (a.signal?.aborted) void cancel(); // Ctrl-C came before the job id was known
        }
        const error = /^srun: error: (.*)$/.exec(text);
        if (error && !/task \d+: (Exited|Terminated|Killed)/.test(error[1]!)) {
          attemptInfo.srunErrors.push(error[1]!);
        }
        // The job's stage log and progress lines (indented), shown as the local executor shows them; the
        // rest (srun's own lines, the job's error line) is in the log and, for a failure, in its result.
        if (/^ {2}\S/.test(text) || /^ {4}/.test(text)) a.board.print(text);
      };
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        for (const l of lines) line(l);
      }
      if (buffer) line(buffer);
    };
    try {
      const [status] = await Promise.all([child.status, relay(child.stdout), relay(child.stderr)]);
      attemptInfo.code = status.code;
    } finally {
      a.signal?.removeEventListener("abort", onAbort);
      write(`# ${new Date().toISOString()} srun exited with code ${attemptInfo.code}`);
      log.close();
    }
    return attemptInfo;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function readJobResult(path: string): JobResult | null {
  try {
    const data = JSON.parse(Deno.readTextFileSync(path));
    return data && typeof data === "object" && typeof data.ok === "boolean" ? data as JobResult : null;
  } catch {
    return null;
  }
}
