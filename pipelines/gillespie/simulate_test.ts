import assert from "node:assert/strict";
import { simulate } from "./simulate.ts";

Deno.test("simulate's params have upper bounds: a typo cannot start a run that never ends", () => {
  const reject = (params: Record<string, unknown>, message: RegExp) => {
    const result = simulate.params.safeParse(params);
    assert.ok(!result.success, `${JSON.stringify(params)} is rejected`);
    assert.match(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"), message);
  };
  reject({ trajectories: 1e12 }, /^trajectories: Too big: expected number to be <=100000$/);
  reject({ duration: 1e300 }, /^duration: Too big: expected number to be <=1000000$/);
  reject({ articleEvents: 1e10 }, /^articleEvents: Too big/);
  reject(
    { trajectories: 100_000, duration: 100_000 },
    /^trajectories: trajectories × \(burnIn \+ duration\) is above 500,000,000/,
  );
  for (const ok of [{}, { trajectories: 512, duration: 1000 }, { trajectories: 100_000 }]) {
    assert.ok(simulate.params.safeParse(ok).success, JSON.stringify(ok));
  }
});
