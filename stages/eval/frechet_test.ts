import assert from "node:assert/strict";
import { requireInstalled } from "../../tests/_require.ts";
import { classifierFid, featureStats, frechetDistance, sqrtmPsd } from "./frechet.ts";
import { matmul, maxAbsDiff, randomRotation, randomSpd, seededRandom, transpose } from "./_test_random.ts";

const close = (actual: number, expected: number, tolerance: number, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} vs ${expected} (±${tolerance})`);

function diagonal(values: number[]): Float64Array {
  const n = values.length;
  const out = new Float64Array(n * n);
  values.forEach((v, i) => (out[i * n + i] = v));
  return out;
}

Deno.test("featureStats() gives the mean and the unbiased covariance", () => {
  const stats = featureStats(new Float32Array([1, 2, 3, 6, 5, 4]), 2);
  assert.equal(stats.count, 3);
  assert.deepEqual([...stats.mean], [3, 4]);
  assert.deepEqual([...stats.cov], [4, 2, 2, 4]);
  assert.throws(() => featureStats(new Float32Array(5), 2), /5 values is not a whole number of rows of 2/);
  assert.throws(() => featureStats(new Float32Array(2), 2), /from 1 feature vector\(s\): pass at least 2/);
  assert.throws(() => featureStats(new Float32Array([0, NaN, 1, 1]), 2), /feature \(0, 1\) is NaN/);
});

Deno.test("sqrtmPsd() returns the symmetric PSD root", async (t) => {
  await t.step("2×2 with a closed form", () => {
    // [[2,1],[1,2]] has eigenvalues 3 and 1 along (1,1)/√2 and (1,-1)/√2.
    const s = sqrtmPsd([2, 1, 1, 2], 2);
    const p = (Math.sqrt(3) + 1) / 2, q = (Math.sqrt(3) - 1) / 2;
    assert.ok(maxAbsDiff(s, [p, q, q, p]) < 1e-15);
  });
  await t.step("random 30×30: S·S = A, S = Sᵀ", () => {
    const a = randomSpd(30, 11);
    const s = sqrtmPsd(a, 30);
    assert.ok(maxAbsDiff(matmul(s, s, 30), a) < 1e-12);
    assert.equal(maxAbsDiff(s, transpose(s, 30)), 0);
  });
  await t.step("rank-deficient input stays real", () => {
    const s = sqrtmPsd([1, 1, 1, 1], 2); // eigenvalues 2 and 0
    assert.ok(maxAbsDiff(s, [Math.SQRT1_2, Math.SQRT1_2, Math.SQRT1_2, Math.SQRT1_2]) < 1e-15);
  });
});

Deno.test("frechetDistance() is 0 for identical Gaussians", () => {
  const dim = 64;
  const rng = seededRandom(5);
  const mean = Float64Array.from({ length: dim }, () => rng.normal());
  const cov = randomSpd(dim, 6);
  close(frechetDistance({ mean, cov }, { mean, cov }), 0, 1e-9, "FD(x, x)");
});

Deno.test("frechetDistance() matches Σ(√a − √b)² for diagonal covariances", () => {
  const a = [0.5, 1, 2, 9, 1e-4];
  const b = [2, 1, 0.25, 4, 1];
  const ma = new Float64Array([0, 1, 2, 3, 4]);
  const mb = new Float64Array([1, 1, 0, 3, 4]);
  const expected = 1 + 4 + a.reduce((s, ai, i) => s + (Math.sqrt(ai) - Math.sqrt(b[i]!)) ** 2, 0);
  close(frechetDistance({ mean: ma, cov: diagonal(a) }, { mean: mb, cov: diagonal(b) }), expected, 1e-12);
});

Deno.test("frechetDistance() matches a hand-derived non-commuting 2×2 case", () => {
  // Σ₁ = diag(4, 1), Σ₂ = [[2, 1], [1, 2]] do not commute. With S = Σ₁^½ = diag(2, 1),
  // M = S Σ₂ S = [[8, 2], [2, 2]]: tr M = 10, det M = det Σ₁ · det Σ₂ = 12. For a 2×2 PSD matrix
  // tr √M = √(tr M + 2 √det M), so FD = ‖μ₁ − μ₂‖² + 5 + 4 − 2 √(10 + 4√3), with ‖(1, 2)‖² = 5.
  const expected = 5 + 9 - 2 * Math.sqrt(10 + 4 * Math.sqrt(3));
  const a = { mean: new Float64Array([0, 0]), cov: new Float64Array([4, 0, 0, 1]) };
  const b = { mean: new Float64Array([1, 2]), cov: new Float64Array([2, 1, 1, 2]) };
  close(frechetDistance(a, b), expected, 1e-14, "FD(a, b)");
  close(frechetDistance(b, a), expected, 1e-14, "FD(b, a)");
});

Deno.test("frechetDistance() is invariant under a common rotation", () => {
  const dim = 12;
  const rng = seededRandom(21);
  const ma = Float64Array.from({ length: dim }, () => rng.normal());
  const mb = Float64Array.from({ length: dim }, () => rng.normal());
  const ca = randomSpd(dim, 22), cb = randomSpd(dim, 23);
  const r = randomRotation(dim, 24);
  const rt = transpose(r, dim);
  const rotate = (m: Float64Array) =>
    Float64Array.from({ length: dim }, (_, i) => m.reduce((s, v, k) => s + r[i * dim + k]! * v, 0));
  const before = frechetDistance({ mean: ma, cov: ca }, { mean: mb, cov: cb });
  const after = frechetDistance(
    { mean: rotate(ma), cov: matmul(matmul(r, ca, dim), rt, dim) },
    { mean: rotate(mb), cov: matmul(matmul(r, cb, dim), rt, dim) },
  );
  assert.ok(before > 1);
  close(after, before, 1e-10 * before, "rotated");
});

Deno.test("frechetDistance() handles singular covariances and names a dimension mismatch", () => {
  const zero = new Float64Array(9);
  close(
    frechetDistance({ mean: new Float64Array([1, 0, 0]), cov: zero }, {
      mean: new Float64Array(3),
      cov: zero,
    }),
    1,
    0,
  );
  assert.throws(
    () =>
      frechetDistance({ mean: new Float64Array(2), cov: new Float64Array(4) }, {
        mean: new Float64Array(3),
        cov: zero,
      }),
    /dimensions differ \(means 2 and 3/,
  );
});

Deno.test("classifierFid() of Gaussian samples approaches the analytic distance", () => {
  // N(0, I) vs N(1, 4I) in 4-D: FD = 4·1² + 4·(1 − 2)² = 8. Sampling error at n = 20k is about ±0.1.
  const dim = 4, n = 20_000;
  const rng = seededRandom(99);
  const real = Float32Array.from({ length: n * dim }, () => rng.normal());
  const generated = Float32Array.from({ length: n * dim }, () => 1 + 2 * rng.normal());
  close(classifierFid(real, generated, dim), 8, 0.15, "FID");
  close(classifierFid(real, real, dim), 0, 1e-9, "FID(real, real)");
});

/** True when Debian's Python has SciPy (python3-scipy, which `deno task test` installs). */
async function hasScipy(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import scipy.linalg"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return success;
  } catch {
    return false;
  }
}

const SCIPY_FID = `
import json, sys
import numpy as np
from scipy import linalg
data = json.load(sys.stdin)
d = data["dim"]
a = np.array(data["a"], dtype=np.float64).reshape(-1, d)
b = np.array(data["b"], dtype=np.float64).reshape(-1, d)
mu1, mu2 = a.mean(0), b.mean(0)
s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
covmean = covmean.real
diff = mu1 - mu2
print(json.dumps(float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))))
`;

Deno.test({
  name: "classifierFid() agrees with the pytorch-fid recipe (scipy.linalg.sqrtm of Σ₁Σ₂)",
  async fn() {
    requireInstalled(await hasScipy(), "python3-scipy", "SciPy");
    const dim = 16, n = 300;
    const rng = seededRandom(2024);
    const mix = randomSpd(dim, 2025);
    // Correlated, non-isotropic features: x = z·mix, with a shifted and scaled second set.
    const draw = (shift: number, scale: number) => {
      const out = new Float64Array(n * dim);
      for (let r = 0; r < n; r++) {
        const z = Array.from({ length: dim }, () => rng.normal());
        for (let j = 0; j < dim; j++) {
          let v = shift;
          for (let k = 0; k < dim; k++) v += scale * z[k]! * mix[k * dim + j]!;
          out[r * dim + j] = v;
        }
      }
      return out;
    };
    const a = draw(0, 1), b = draw(0.3, 1.4);
    const child = new Deno.Command("/usr/bin/python3", {
      args: ["-c", SCIPY_FID],
      stdin: "piped",
      stdout: "piped",
    })
      .spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify({ dim, a: [...a], b: [...b] })));
    await writer.close();
    const { stdout, success } = await child.output();
    assert.ok(success, "python3 failed");
    const reference = JSON.parse(new TextDecoder().decode(stdout)) as number;
    const ours = classifierFid(a, b, dim);
    assert.ok(reference > 1);
    close(ours, reference, 1e-9 * reference, "FID vs scipy");
  },
});
