import assert from "node:assert/strict";
import { Rng } from "../../stages/data/random.ts";
import { sampleTruncatedNormal, stdAboutZero, truncatedNormalMoments } from "./truncated_normal.ts";

Deno.test("truncatedNormalMoments: SciPy's truncnorm std and kurtosis, the article's factor, no truncation", () => {
  // scipy.stats.truncnorm(−β, β): std() and stats(moments="k") + 3.
  const two = truncatedNormalMoments(1, 2);
  assert.ok(Math.abs(two.std - 0.8796256610342398) < 2e-15, `${two.std}`);
  assert.ok(Math.abs(two.kurtosis - 2.3655367171296495) < 1e-14, `${two.kurtosis}`);
  assert.ok(Math.abs(two.kept - 0.9544997361036416) < 4e-16);
  assert.ok(Math.abs(1 / two.std - 1.1368472) < 5e-8, "the article's 1.1368472");
  const one = truncatedNormalMoments(3, 1);
  assert.ok(
    Math.abs(one.std - 3 * 0.5395600937548968) < 1e-14 && Math.abs(one.kurtosis - 1.9409199199031129) < 1e-13,
  );
  // Truncating far out changes nothing.
  const wide = truncatedNormalMoments(0.5, 30);
  assert.ok(Math.abs(wide.std - 0.5) < 1e-15 && Math.abs(wide.kurtosis - 3) < 1e-12);
});

Deno.test("sampleTruncatedNormal stays inside ±βσ and matches the exact std within its standard error", () => {
  const x = sampleTruncatedNormal(new Rng(1), 0.02, 2, new Float64Array(200_000));
  assert.ok(x.every((v) => Math.abs(v) <= 0.04));
  const exact = truncatedNormalMoments(0.02, 2);
  const { std, standardError } = stdAboutZero(x);
  // The sample's standard error agrees with the one the exact kurtosis predicts, σ_t·√((κ−1)/4N)...
  const predicted = exact.std * Math.sqrt((exact.kurtosis - 1) / (4 * x.length));
  assert.ok(Math.abs(standardError / predicted - 1) < 0.05, `${standardError} vs ${predicted}`);
  // ...and the estimate lies within 4 of them (a false alarm has probability 6e-5).
  assert.ok(Math.abs(std - exact.std) < 4 * standardError, `${std} vs ${exact.std} ± ${standardError}`);
});
