import assert from "node:assert/strict";
import { checkBijection } from "../flow_testing.ts";
import { glowModel } from "./glow.ts";

Deno.test("Glow (L = 2, every permutation and coupling): exact inverse, log-det of the autodiff Jacobian", async () => {
  for (const permutation of ["reverse", "shuffle", "conv1x1"] as const) {
    for (const coupling of ["affine", "additive"] as const) {
      if (coupling === "additive" && permutation !== "conv1x1") continue;
      const m = glowModel({ levels: 2, depth: 1, hidden: 4, coupling, permutation, seed: 1 }, [1, 4, 4]);
      const r = await checkBijection(m.flow, { shape: [2, 1, 4, 4], paramScale: 0.3 });
      // Float32 rounding compounds through the ~10 layers of the stack (1e-4 is still float32 level).
      const label = `${permutation}/${coupling}`;
      assert.ok(r.inverseError64 < 1e-10, `${label}: float64 inverse error ${r.inverseError64}`);
      assert.ok(r.inverseError32 < 1e-4, `${label}: float32 inverse error ${r.inverseError32}`);
      assert.ok(r.logdetError < 1e-9, `${permutation}/${coupling} log-det error ${r.logdetError}`);
      assert.ok(r.logdets.some((v) => Math.abs(v) > 1e-3));
    }
  }
});
