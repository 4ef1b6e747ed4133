import assert from "node:assert/strict";
import { constant, input, type Tensor } from "./graph.ts";
import { inits } from "./init.ts";
import { add, mul, square, sub } from "./ops_elementwise.ts";
import { reduceSum } from "./ops_reduce.ts";
import { slice } from "./ops_shape.ts";
import {
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  type Hyper,
  muon,
  newtonSchulz,
  type Optimizer,
  rmsprop,
  sgd,
} from "./optimizers.ts";
import { TrainRunner } from "./runner.ts";
import { evaluate, randn } from "./testing.ts";
import { buildTrainStep } from "./train_step.ts";

/** Every optimizer under test, with settings for the two objectives (optax's alias_test pattern). */
const OPTIMIZERS: [string, (lr: Hyper) => Optimizer, { quadratic: number; rosenbrock: number }][] = [
  ["sgd", (lr) => sgd({ lr }), { quadratic: 0.3, rosenbrock: 4e-3 }],
  ["sgd nesterov momentum", (lr) => sgd({ lr, momentum: 0.9, nesterov: true }), {
    quadratic: 0.05,
    rosenbrock: 1e-3,
  }],
  ["adam", (lr) => adam({ lr }), { quadratic: 0.1, rosenbrock: 0.03 }],
  ["adamw", (lr) => adamw({ lr, weightDecay: 1e-4 }), { quadratic: 0.1, rosenbrock: 0.03 }],
  ["rmsprop", (lr) => rmsprop({ lr }), { quadratic: 0.02, rosenbrock: 0.01 }],
  ["rmsprop momentum", (lr) => rmsprop({ lr, momentum: 0.5 }), { quadratic: 0.01, rosenbrock: 3e-3 }],
  // Every matrix to Muon (the default keeps a model's first and last matrix on AdamW).
  ["muon", (lr) => muon({ lr, adam: { lr }, hidden: (_, p) => p.shape.length >= 2 }), {
    quadratic: 0.1,
    rosenbrock: 0.01,
  }],
  ["chain(clipByGlobalNorm, adam)", (lr) => chain(clipByGlobalNorm(10), adam({ lr })), {
    quadratic: 0.1,
    rosenbrock: 0.03,
  }],
];

const wTarget = constant(Array.from(randn(12, 7)), "float32", [4, 3]);
const curv = constant(Array.from({ length: 12 }, (_, i) => 0.5 + (i % 4) * 0.5), "float32", [4, 3]);

/** f(W, b) = Σ c⊙(W − W*)² + Σ (b − 1)²: a matrix (Muon's case) and a vector (Adam's case in Muon). */
function quadratic(w: Tensor, b: Tensor): Tensor {
  return add(reduceSum(mul(curv, square(sub(w, wTarget)))), reduceSum(square(sub(b, 1))));
}

/** Rosenbrock (1 − a)² + 100 (b − a²)² on a [1, 2] matrix parameter, minimum 0 at (1, 1). */
function rosenbrock(x: Tensor): Tensor {
  const a = slice(x, [0, 0], [1, 1]);
  const b = slice(x, [0, 1], [1, 2]);
  return reduceSum(add(square(sub(1, a)), mul(square(sub(b, square(a))), 100)));
}

async function minimize(
  objective: "quadratic" | "rosenbrock",
  make: (lr: Hyper) => Optimizer,
  lr0: number,
  steps: number,
): Promise<[number, number]> {
  const step = buildTrainStep({
    name: objective,
    batch: {},
    hyper: { lr: lr0 },
    build(ctx) {
      const loss = objective === "quadratic"
        ? quadratic(ctx.params.param("W", [4, 3], inits.zeros()), ctx.params.param("b", [3], inits.zeros()))
        : rosenbrock(ctx.params.param("x", [1, 2], inits.constant(-1)));
      ctx.minimize("opt", loss, make(ctx.hyper.lr!));
      return { loss };
    },
  });
  const runner = await TrainRunner.create(step, { intraOpNumThreads: 1 });
  if (objective === "rosenbrock") runner.setState({ x: new Float32Array([-1, 1]) }); // the classic start
  let first = NaN;
  let last = NaN;
  for (let t = 0; t < steps; t++) {
    // Cosine decay, fed through the `lr` graph input without rebuilding the graph.
    const lr = lr0 * 0.5 * (1 + Math.cos(Math.PI * t / steps));
    last = (await runner.step({}, { lr })).loss!;
    if (t === 0) first = last;
  }
  await runner.release();
  return [first, last];
}

for (const [name, make, lr] of OPTIMIZERS) {
  Deno.test(`${name} converges on a quadratic and on Rosenbrock`, async () => {
    const [q0, q1] = await minimize("quadratic", make, lr.quadratic, 300);
    assert.ok(q1 < 1e-3 * q0, `quadratic: ${q0} → ${q1}`);
    const [r0, r1] = await minimize("rosenbrock", make, lr.rosenbrock, 1500);
    assert.ok(r1 < 2e-2, `rosenbrock: ${r0} → ${r1}`);
  });
}

Deno.test("chain(clipByGlobalNorm, sgd) clips the joint gradient norm", async () => {
  // p = [3, 4] with loss ½‖p‖²: gradient [3, 4], norm 5, clipped to norm 1 → step [0.6, 0.8].
  const step = buildTrainStep({
    name: "clip",
    batch: {},
    build(ctx) {
      const p = ctx.params.param("p", [2], inits.zeros());
      ctx.minimize("o", mul(reduceSum(square(p)), 0.5), chain(clipByGlobalNorm(1), sgd({ lr: 1 })));
      return {};
    },
  });
  const r = await TrainRunner.create(step, { state: { p: new Float32Array([3, 4]) } });
  await r.step({});
  const p = Array.from(r.state().p!);
  assert.ok(Math.abs(p[0]! - 2.4) < 1e-6 && Math.abs(p[1]! - 3.2) < 1e-6, `p = ${p}`);
});

Deno.test("adam matches PyTorch's update rule on a hand-computed step", async () => {
  // One step from p = 1 with g = 2·p = 2 (loss p²): m = 0.2, v = 0.004, bias-corrected m̂ = 2, v̂ = 4,
  // so p' = 1 − lr·2/(2 + eps) = 1 − lr (to 1e-8).
  const step = buildTrainStep({
    name: "adam1",
    batch: {},
    build(ctx) {
      const p = ctx.params.param("p", [1], inits.ones());
      ctx.minimize("o", reduceSum(square(p)), adam({ lr: 0.1 }));
      return {};
    },
  });
  const r = await TrainRunner.create(step);
  await r.step({});
  const s = r.state();
  assert.ok(Math.abs(s.p![0]! - 0.9) < 1e-6, `p = ${s.p![0]}`);
  assert.ok(Math.abs(s["opt/o/mu/p"]![0]! - 0.2) < 1e-7);
  assert.ok(Math.abs(s["opt/o/nu/p"]![0]! - 0.004) < 1e-9);
  assert.equal(s["opt/o/count"]![0], 1);
});

/** Largest |eigenvalue| of a symmetric n×n matrix (power iteration). */
function spectralNorm(a: Float64Array, n: number): number {
  let v = new Float64Array(n).fill(1);
  let lambda = 0;
  for (let it = 0; it < 500; it++) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i]! += a[i * n + j]! * v[j]!;
    lambda = Math.hypot(...w);
    v = w.map((x) => x / lambda);
  }
  return lambda;
}

Deno.test("newtonSchulz maps singular values into [0.6, 1.2] (an approximate msign)", async () => {
  for (const [rows, cols] of [[8, 8], [6, 10], [12, 5]] as const) {
    const m = input("m", "float64", [rows, cols]);
    const o = newtonSchulz(m);
    const x = (await evaluate({ o }, { m: randn(rows * cols, rows + cols, "float64") })).o as Float64Array;
    // G = OOᵀ (wide) or OᵀO (tall) has eigenvalues σ²; all σ² ∈ [0.36, 1.44] ⇔ ‖G − 0.9·I‖ ≤ 0.54.
    const n = Math.min(rows, cols);
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < Math.max(rows, cols); k++) {
          s += rows <= cols ? x[i * cols + k]! * x[j * cols + k]! : x[k * cols + i]! * x[k * cols + j]!;
        }
        g[i * n + j] = s - (i === j ? 0.9 : 0);
      }
    }
    const dev = spectralNorm(g, n);
    assert.ok(dev <= 0.54, `[${rows}×${cols}]: ‖OOᵀ − 0.9I‖ = ${dev}`);
    assert.ok(dev > 0.01, "NS with the official coefficients does not converge exactly to the polar factor");
  }
});
