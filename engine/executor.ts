/**
 * Where a stage executes. The runner (runner.ts) keeps the DAG, the cache and every decision; once it
 * has decided that a stage runs and holds the stage's key lock, it hands the stage to an `Executor`:
 *
 * - `local` (the default): in this process (execute.ts).
 * - `slurm` (slurm.ts): as a Slurm job (`srun`) that runs `exec-stage` (exec_stage.ts) against the same
 *   store, after which only the committed store entry is trusted.
 *
 * Both resolve with an `ExecuteResult` and never throw for the stage's own errors.
 *
 * @module
 */
import { type ExecuteArgs, type ExecuteResult, executeStage } from "./execute.ts";

export interface Executor {
  /** `local` or `slurm`, as `--executor` names it. */
  readonly name: string;
  /** Executes one stage whose key the runner holds the lock of; commits its output on success. */
  execute(args: ExecuteArgs): Promise<ExecuteResult>;
}

/** Runs each stage in this process: today's behaviour. */
export const localExecutor: Executor = { name: "local", execute: executeStage };

/** The names `--executor` accepts. */
export const EXECUTORS = ["local", "slurm"] as const;
