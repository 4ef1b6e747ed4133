/**
 * The K-step model of a train step, derived from its host-loop model: one ONNX Scan over K stacked
 * minibatches whose body *is* the host-loop graph (onnx-training.md §3). It saves the per-call copy of the
 * whole carried state into fresh JS buffers, K−1 times out of K.
 *
 * The body is the host graph with its carried inputs renamed `carry/<name>` (Scan state), its batch inputs
 * `slice/<name>` (Scan inputs), its outputs `carry_next/<name>` and `metric/<name>`; the hyperparameters
 * and `seed` are read from the enclosing graph under their own names. Deriving it from the host bytes,
 * rather than tracing the step again, means that any K can be built from a train step saved on disk
 * (saved_step.ts) and that a fused step runs exactly the host step's nodes, so K fused steps equal K
 * host-loop steps bit for bit.
 *
 * @module
 */
import pkg from "onnx-proto";
import type { DType } from "./dtype.ts";
import { valueInfo } from "./emit.ts";

const { onnx } = pkg;
type GraphProto = pkg.onnx.IGraphProto;

/** The parts of a train step's interface the fused model needs. */
export interface FusedInterface {
  readonly name: string;
  readonly dtype: DType;
  readonly carried: readonly {
    readonly name: string;
    readonly shape: readonly number[];
    readonly dtype: DType;
  }[];
  readonly batch: Readonly<Record<string, { readonly dtype: DType; readonly shape: readonly number[] }>>;
  readonly hyper: Readonly<Record<string, number>>;
  readonly metrics: readonly string[];
}

function renameIn(graph: GraphProto, rename: ReadonlyMap<string, string>): void {
  const r = (n: string) => rename.get(n) ?? n;
  for (const node of graph.node ?? []) {
    node.input = (node.input ?? []).map(r);
    node.output = (node.output ?? []).map(r);
    // Nested graphs (If/Loop/Scan inside the step) may read the renamed values from their outer scope.
    for (const a of node.attribute ?? []) {
      if (a.g) renameIn(a.g, rename);
      for (const g of a.graphs ?? []) renameIn(g, rename);
    }
  }
  for (const v of [...(graph.valueInfo ?? []), ...(graph.input ?? []), ...(graph.output ?? [])]) {
    v.name = r(v.name!);
  }
}

/**
 * The model that runs `k` steps per call: inputs are the carried tensors, the batch tensors stacked as
 * [k, ...], the hyperparameters and `seed`; outputs are `next/<carried name>` and each metric as a [k]
 * vector.
 */
export function fuseSteps(hostModel: Uint8Array, k: number, step: FusedInterface): Uint8Array {
  if (!Number.isInteger(k) || k < 1) throw new Error(`fuseSteps: k must be a positive integer, got ${k}`);
  const batchNames = Object.keys(step.batch);
  if (batchNames.length === 0) {
    throw new Error(`${step.name}: fused steps need at least one batch input (the Scan iterates over them)`);
  }
  const model = onnx.ModelProto.decode(hostModel);
  const body = model.graph!;
  const rename = new Map<string, string>();
  for (const c of step.carried) {
    rename.set(c.name, `carry/${c.name}`);
    rename.set(`next/${c.name}`, `carry_next/${c.name}`);
  }
  for (const b of batchNames) rename.set(b, `slice/${b}`);
  for (const m of step.metrics) rename.set(m, `metric/${m}`);
  renameIn(body, rename);
  const byName = new Map((body.input ?? []).map((v) => [v.name!, v]));
  const bodyInput = (name: string) => {
    const v = byName.get(rename.get(name)!);
    if (!v) throw new Error(`${step.name}: the host model has no input '${name}'`);
    return v;
  };
  // Scan body inputs: the state, then the scan inputs; hyperparameters and seed come from outer scope.
  body.input = [...step.carried.map((c) => bodyInput(c.name)), ...batchNames.map(bodyInput)];
  const outputs = new Map((body.output ?? []).map((v) => [v.name!, v]));
  body.output = [
    ...step.carried.map((c) => outputs.get(`carry_next/${c.name}`)!),
    ...step.metrics.map((m) => outputs.get(`metric/${m}`)!),
  ];
  body.name = `${step.name}_body`;
  const metricType = (m: string) => {
    const t = outputs.get(`metric/${m}`)!.type!.tensorType!;
    return { name: m, type: { tensorType: { elemType: t.elemType, shape: { dim: [{ dimValue: k }] } } } };
  };
  const scan = {
    name: "scan",
    opType: "Scan",
    input: [...step.carried.map((c) => c.name), ...batchNames],
    output: [...step.carried.map((c) => `next/${c.name}`), ...step.metrics],
    attribute: [
      { name: "body", type: onnx.AttributeProto.AttributeType.GRAPH, g: body },
      { name: "num_scan_inputs", type: onnx.AttributeProto.AttributeType.INT, i: batchNames.length },
    ],
  };
  model.graph = onnx.GraphProto.fromObject({
    name: `${step.name}_x${k}`,
    docString: `${k} fused train steps of '${step.name}' (Scan over stacked minibatches)`,
    node: [scan],
    input: [
      ...step.carried.map((c) => valueInfo(c.name, c.dtype, c.shape)),
      ...batchNames.map((n) => valueInfo(n, step.batch[n]!.dtype, [k, ...step.batch[n]!.shape])),
      ...Object.keys(step.hyper).map((n) => valueInfo(n, step.dtype, [])),
      valueInfo("seed", "int32", []),
    ],
    output: [
      ...step.carried.map((c) => valueInfo(`next/${c.name}`, c.dtype, c.shape)),
      ...step.metrics.map(metricType),
    ],
  });
  return onnx.ModelProto.encode(model).finish();
}
