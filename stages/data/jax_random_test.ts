import assert from "node:assert/strict";
import { jaxKey, jaxUniform, threefry2x32, threefry2x32Block } from "./jax_random.ts";
import { mixture1d, synthetic1dParams } from "./sources/synthetic_1d.ts";

Deno.test("threefry2x32 gives the Random123 known-answer vectors (those of JAX's own tests)", () => {
  const hex = (v: readonly number[]) => v.map((x) => x.toString(16).padStart(8, "0"));
  assert.deepEqual(hex(threefry2x32Block([0, 0], [0, 0])), ["6b200159", "99ba4efe"]);
  assert.deepEqual(hex(threefry2x32Block([0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])), [
    "1cb996fc",
    "bb002be7",
  ]);
  assert.deepEqual(hex(threefry2x32Block([0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3])), [
    "c4923a9c",
    "483df7a0",
  ]);
  // A vector of counters is split in halves that pair up: blocks (c[i], c[n/2 + i]).
  const v = threefry2x32([1, 2], Uint32Array.of(10, 11, 12, 13));
  assert.deepEqual([v[0], v[2]], threefry2x32Block([1, 2], [10, 12]));
  assert.deepEqual([v[1], v[3]], threefry2x32Block([1, 2], [11, 13]));
  assert.equal(threefry2x32([1, 2], Uint32Array.of(7, 8, 9)).length, 3);
});

/**
 * Points of the target density the demo notebook plots (its first figure, SVG path `line2d_17`), read
 * back from pixels: x = −1 + 2(px − 55.466761)/507.272728, p = (282.799219 − py)/90.6. The SVG keeps 6
 * decimals of a pixel, so the values carry ~1e-6 of rounding.
 */
const DEMO_CURVE: [number, number][] = [
  [-0.486, 0.013749],
  [-0.448, 0.137484],
  [-0.406, 0.780937],
  [-0.338, 2.498701],
  [-0.316, 2.604807],
  [-0.258, 2.305493],
  [-0.206, 1.546563],
  [-0.14, 0.290209],
  [-0.114, 0.195113],
  [-0.082, 0.436265],
  [-0.008, 2.065419],
  [0.016, 2.275758],
  [0.042, 2.033671],
  [0.102, 1.011858],
  [0.122, 0.971416],
  [0.174, 1.322849],
  [0.198, 1.349818],
  [0.244, 0.907364],
  [0.318, 0.135191],
  [0.37, 0.013646],
];

Deno.test("jax.random.uniform with key 42 gives the demo's mixture: its density is the curve the notebook plots", () => {
  const m = mixture1d(synthetic1dParams.parse({ draws: "jax" }));
  const pdf = (x: number) =>
    m.locs.reduce((s, loc, i) => s + Math.exp(-0.5 * ((x - loc) / m.scales[i]!) ** 2) / m.scales[i]!, 0) /
    (10 * Math.sqrt(2 * Math.PI));
  for (const [x, p] of DEMO_CURVE) {
    assert.ok(Math.abs(pdf(x) - p) < 1e-5, `p(${x}) = ${pdf(x)}, plotted ${p}`);
  }
  // The same uniforms give both arrays: loc = −0.5 + 0.8u, scale = σmax(0.25 + 0.1u), in float32.
  const u = jaxUniform(jaxKey(42), 10, 0, 1);
  m.locs.forEach((loc, i) => assert.ok(Math.abs(loc - (-0.5 + 0.8 * u[i]!)) < 1e-6));
  // Our own generator gives another mixture, whose curve is not the notebook's.
  const ours = mixture1d(synthetic1dParams.parse({}));
  assert.notDeepEqual(ours.locs, m.locs);
});
