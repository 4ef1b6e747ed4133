import assert from "node:assert/strict";
import { grad } from "./autodiff.ts";
import { apply, emitAs, GraphError, input, type OpDef, scope, type Tensor } from "./graph.ts";
import { emitGraph } from "./emit.ts";
import { conv2d } from "./ops_conv.ts";
import { add, cast, leakyRelu, mul, pow, softplus, tanh } from "./ops_elementwise.ts";
import { gemm } from "./ops_linalg.ts";
import { reduceMean, reduceSum } from "./ops_reduce.ts";
import { flatten } from "./ops_shape.ts";
import { checkGradients, evaluate, randn, relL2 } from "./testing.ts";

/** Mean squared input-gradient norm of a critic: the WGAN-GP-style penalty, a second-order quantity. */
function penalty(critic: (x: Tensor) => Tensor, x: Tensor, p = 2): Tensor {
  const [gx] = grad(reduceSum(critic(x)), [x]);
  const axes = gx!.shape.slice(1).map((_, i) => i + 1);
  const sq = reduceSum(mul(gx!, gx!), axes);
  return reduceMean(p === 2 ? sq : pow(sq, p / 2));
}

Deno.test("second order: gradient penalty of a small MLP matches finite differences", async () => {
  const r = await checkGradients(
    "mlp penalty",
    { x: { shape: [4, 3] }, w1: { shape: [3, 5] }, b1: { shape: [5] }, w2: { shape: [5, 1] } },
    ({ x, w1, b1, w2 }) => {
      const critic = (v: Tensor) => gemm(softplus(add(tanh(gemm(v, w1!, b1!)), 0.1)), w2!);
      return penalty(critic, x!);
    },
  );
  assert.equal(r.checked, 12 + 15 + 5 + 5);
});

const convCritic = (w1: Tensor, b1: Tensor, w2: Tensor, w3: Tensor) => (x: Tensor) => {
  const h1 = leakyRelu(conv2d(x, w1, b1, { stride: 2, pad: 1 }), 0.2);
  const h2 = tanh(conv2d(h1, w2, undefined, { stride: 2, pad: 1 }));
  return gemm(flatten(h2), w3);
};

Deno.test("second order: gradient penalty ‖∇ₓD‖^p of a small conv net matches finite differences", async () => {
  for (const p of [2, 6]) {
    await checkGradients(
      `conv penalty p=${p}`,
      {
        x: { shape: [2, 1, 8, 8] },
        w1: { shape: [3, 1, 4, 4] },
        b1: { shape: [3] },
        w2: { shape: [2, 3, 4, 4] },
        w3: { shape: [8, 1] },
      },
      ({ x, w1, b1, w2, w3 }) => penalty(convCritic(w1!, b1!, w2!, w3!), x!, p),
      { maxEntries: 24 },
    );
  }
});

Deno.test("second order through float32 Conv kernels agrees with the float64 graph", async () => {
  const run = async (dtype: "float32" | "float64") => {
    const x = input("x", dtype, [2, 1, 8, 8]);
    const w1 = input("w1", dtype, [3, 1, 4, 4]);
    const b1 = input("b1", dtype, [3]);
    const w2 = input("w2", dtype, [2, 3, 4, 4]);
    const w3 = input("w3", dtype, [8, 1]);
    const pen = penalty(convCritic(w1, b1, w2, w3), x, 6);
    const gs = grad(pen, [w1, b1, w2, w3]);
    return await evaluate(
      Object.fromEntries(gs.map((g, i) => [`g${i}`, cast(g, "float64")])),
      {
        x: randn(128, 1, dtype),
        w1: randn(48, 2, dtype),
        b1: randn(3, 3, dtype),
        w2: randn(96, 4, dtype),
        w3: randn(8, 5, dtype),
      },
    );
  };
  const a = await run("float32");
  const b = await run("float64");
  for (let i = 0; i < 4; i++) {
    const err = relL2(a[`g${i}`] as Float64Array, b[`g${i}`] as Float64Array);
    assert.ok(err < 1e-4, `g${i}: relative L2 error ${err}`);
  }
});

Deno.test("grad differentiates only the path to the requested xs", () => {
  const x = input("x", "float32", [4, 3]);
  const w1 = input("w1", "float32", [3, 5]);
  const w2 = input("w2", "float32", [5, 2]);
  const h = scope("fc1", () => tanh(gemm(x, w1)));
  const y = scope("fc2", () => reduceSum(gemm(h, w2)));
  const [g2] = grad(y, [w2]);
  const graph = emitGraph({ name: "pruned", outputs: { g2: g2! } });
  const ops = graph.node.map((n) => `${n.opType}@${n.name}`);
  assert.ok(ops.every((o) => !o.includes("grad/fc1")), `unexpected fc1 gradient nodes: ${ops.join(", ")}`);
  // dW2 = hᵀ·g: the forward of fc1, the broadcast seed and one Gemm, nothing else.
  assert.deepEqual(ops, [
    "Gemm@fc1/Gemm",
    "Tanh@fc1/Tanh",
    "Reshape@grad/fc2/Reshape",
    "Expand@grad/fc2/Expand",
    "Gemm@g2",
  ]);
});

Deno.test("grad gives zeros for independent xs and errors clearly without a rule", async () => {
  const x = input("x", "float32", [2]);
  const z = input("z", "float32", [2]);
  const [gz] = grad(reduceSum(mul(x, x)), [z]);
  const r = await evaluate({ gz: gz! }, {});
  assert.deepEqual(Array.from(r.gz as Float32Array), [0, 0]);

  const opaque: OpDef = { name: "Opaque", infer: (i) => i[0]!, emit: emitAs("Identity") };
  const y = scope("layer", () => reduceSum(apply(opaque, [x])));
  assert.throws(() => grad(y, [x]), (err: unknown) => {
    assert.ok(err instanceof GraphError);
    assert.match(err.message, /Opaque at 'layer' has no gradient rule/);
    return true;
  });
  assert.throws(() => grad(mul(x, x), [x]), /not a scalar/);
});
