/**
 * Training checkpoints in a stage's work folder: the runner's carried tensors (parameters, optimizer
 * state, step counter) as safetensors, and the loop's own state (data position, logged metrics) as
 * JSON. Both are written to temp names and renamed, the JSON last, so a checkpoint is either whole or
 * absent: a kill during the write leaves the previous one.
 *
 * @module
 */
import { decodeSafetensors, encodeSafetensors, stateToTensors } from "../../models/onnx/safetensors.ts";
import type { IteratorPosition } from "../data/batch_iterator.ts";

export interface MetricRow {
  step: number;
  name: string;
  value: number;
}

export interface LoopState {
  /** Steps completed. */
  step: number;
  /** Where the data iterator stands. */
  data: IteratorPosition;
  /** Every metric row logged so far (they go into the output's metrics.parquet at the end). */
  metrics: MetricRow[];
  /** Training time so far, for steps/s across resumes. */
  elapsedMs: number;
}

const STATE = "checkpoint.safetensors";
const LOOP = "checkpoint.json";

export async function saveCheckpoint(
  dir: string,
  state: Readonly<Record<string, Float32Array | Float64Array>>,
  loop: LoopState,
): Promise<void> {
  const tmp = `.${Deno.pid}.tmp`;
  await Deno.writeFile(`${dir}/${STATE}${tmp}`, encodeSafetensors(stateToTensors(state)));
  await Deno.writeTextFile(`${dir}/${LOOP}${tmp}`, JSON.stringify(loop));
  // The tensors and the loop state must match: rename the tensors first, and the JSON, which names the
  // step, last. A kill in between leaves new tensors with the old JSON; `loadCheckpoint` detects that.
  await Deno.rename(`${dir}/${STATE}${tmp}`, `${dir}/${STATE}`);
  await Deno.rename(`${dir}/${LOOP}${tmp}`, `${dir}/${LOOP}`);
}

/** The last whole checkpoint in `dir`, or null. */
export async function loadCheckpoint(
  dir: string,
): Promise<{ state: Record<string, Float32Array | Float64Array>; loop: LoopState } | null> {
  let loop: LoopState;
  let bytes: Uint8Array;
  try {
    loop = JSON.parse(await Deno.readTextFile(`${dir}/${LOOP}`));
    bytes = await Deno.readFile(`${dir}/${STATE}`);
  } catch {
    return null;
  }
  const { tensors } = decodeSafetensors(bytes, `${dir}/${STATE}`);
  const state = Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, t.data as Float32Array]));
  // The step counter travels in the tensors too: if the two disagree, the kill fell between the renames.
  if (state.step && state.step[0] !== loop.step) return null;
  return { state, loop };
}
