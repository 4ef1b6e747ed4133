/**
 * exp(x yᵀ) in closed form (kexue.fm/archives/6407) against the generic matrix exponential: the formula,
 * its determinant e^⟨x,y⟩ and its inverse exp(−x yᵀ), for n = 2…256 and ⟨x, y⟩ from 0 (x yᵀ nilpotent)
 * to ±3.9 at ‖x‖·‖y‖ = 4.
 *
 * Floors: each of expm's c ≤ 7 + s matrix products and solves adds up to n·ε of backward error, which
 * κ_exp(A), exp's condition number at A (rank_one.ts computes it in closed form), turns into relative
 * error: c·n·ε·κ_exp. The determinant by LU moves by at most n·κ₂(exp A)·(LU's n·ε): n²·ε·κ₂.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const expRankOneCheck = defineStage({
  kind: "math-checks.exp-rank-one",
  module: import.meta.url,
  description: "exp(x yᵀ) = I + x yᵀ(e^s − 1)/s, its det e^s and inverse, against expm",
  params: z.object({
    sizes: z.array(z.number().int().min(2).max(1024)).min(1).default([2, 8, 32, 128, 256]),
    /** s = ⟨x, y⟩; 0 is exact (y ⊥ x by construction): x yᵀ is then nilpotent. */
    inner: z.array(z.number()).min(1).default([0, 1e-10, 1e-4, 1, 3.9, -3.9]),
    /** ‖x‖·‖y‖ = ‖x yᵀ‖₂ (≥ |s|). */
    scale: z.number().positive().default(4),
    seed: z.number().int().min(0).default(6407),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { expm } = await import("../../numerics/expm.ts");
    const { slogdet } = await import("../../numerics/lu.ts");
    const { add, identity, matmul, matrix, norm, scale } = await import("../../numerics/matrix.ts");
    const { singularValues } = await import("../../numerics/svd.ts");
    const { expConditionRankOne, expRankOne, expRankOneInverse, phi1, phi1Naive } = await import(
      "./rank_one.ts"
    );
    const { EPS, caseTable, errorPlots, expmSteps, worstRatio } = await import("./error_plots.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const p = ctx.params;
    type Case = import("./error_plots.ts").ErrorCase;
    const formula: Case[] = [], det: Case[] = [], inverse: Case[] = [];
    let residual = 0;
    let done = 0;
    for (const n of p.sizes) {
      for (const [j, s] of p.inner.entries()) {
        if (Math.abs(s) > p.scale) throw new Error(`Cannot have ⟨x, y⟩ = ${s} with ‖x‖·‖y‖ = ${p.scale}`);
        const rng = new Rng(mixSeed(p.seed, n, j));
        // x a random unit vector, y = s·x + √(c² − s²)·w with w ⊥ x a unit vector: ⟨x, y⟩ = s exactly when
        // s = 0 (to rounding otherwise), ‖x‖·‖y‖ = c.
        const x = Float64Array.from({ length: n }, () => rng.normal());
        const w = Float64Array.from({ length: n }, () => rng.normal());
        const nx = Math.hypot(...x);
        x.forEach((v, i) => (x[i] = v / nx));
        const xw = x.reduce((t, v, i) => t + v * w[i]!, 0);
        w.forEach((v, i) => (w[i] = v - xw * x[i]!));
        const nw = Math.hypot(...w);
        const t = Math.sqrt(p.scale ** 2 - s ** 2) / nw;
        const y = Float64Array.from(x, (xi, i) => s * xi + t * w[i]!);
        const sDot = x.reduce((acc, v, i) => acc + v * y[i]!, 0);
        const a = matrix(n, n);
        for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) a.data[i * n + k] = x[i]! * y[k]!;
        const family = `s = ${s}`;
        const closed = expRankOne(x, y);
        const generic = expm(a);
        const kappaExp = expConditionRankOne(x, y);
        const steps = expmSteps(norm(a, 1));
        formula.push({
          family,
          n,
          kappa: kappaExp,
          error: norm(add(closed, generic, 1, -1)) / norm(closed),
          floor: steps * n * EPS * kappaExp,
        });
        const sv = singularValues(closed);
        const kappa2 = sv[0]! / sv[n - 1]!;
        const ld = slogdet(closed);
        det.push({
          family,
          n,
          kappa: kappa2,
          error: ld.sign > 0 ? Math.abs(ld.logAbsDet - sDot) : Infinity,
          floor: n * n * EPS * kappa2,
        });
        const inv = expRankOneInverse(x, y);
        const kappaInv = expConditionRankOne(Float64Array.from(x, (v) => -v), y);
        inverse.push({
          family,
          n,
          kappa: kappaInv,
          error: norm(add(inv, expm(scale(a, -1)), 1, -1)) / norm(inv),
          floor: steps * n * EPS * kappaInv,
        });
        residual = Math.max(
          residual,
          norm(add(matmul(closed, inv), identity(n), 1, -1)) / (norm(closed) * norm(inv)),
        );
        ctx.progress({ done: ++done, total: p.sizes.length * p.inner.length, text: `n=${n} s=${s}` });
      }
    }
    ctx.metrics(0, {
      formula: worstRatio(formula),
      det: worstRatio(det),
      inverse: worstRatio(inverse),
      product_residual: residual,
    });
    // The article's (eˢ − 1)/s taken literally, against expm1(s)/s.
    const ss = Array.from({ length: 61 }, (_, i) => 10 ** (-16 + i * 0.25));
    const naive = ss.map((s) => Math.abs(phi1Naive(s) - phi1(s)) / phi1(s));
    await writeReportSections(ctx.outDir, [{
      title: "exp(x yᵀ) in closed form",
      fragments: [
        {
          kind: "prose",
          text:
            "With s = ⟨x, y⟩, (x yᵀ)ᵏ = s^(k−1)·x yᵀ, so exp(x yᵀ) = I + x yᵀ·(eˢ − 1)/s, its determinant is " +
            "1 + (eˢ − 1) = eˢ (the matrix determinant lemma), never 0, and its inverse is exp(−x yᵀ) = " +
            "I − x yᵀ·(1 − e⁻ˢ)/s: an explicitly invertible dense matrix. We compare the closed form with the " +
            "generic exponential (scaling and squaring), for s from 0 (y ⊥ x: x yᵀ is nilpotent and far from " +
            `normal) to ±3.9, at ‖x‖·‖y‖ = ${p.scale}. Each of expm's c ≤ 7 + s matrix products and solves ` +
            "(s squarings) adds up to n·ε of backward error, which exp's condition number κ_exp = " +
            "‖L(A)‖·‖A‖/‖e^A‖ turns into relative error: the floor is c·n·ε·κ_exp, with κ_exp computed from the " +
            "closed-form Fréchet derivative L(x yᵀ, E) = E + φ₂(s)(EA + AE) + φ₃(s)(yᵀEx)·A. The determinant " +
            "by LU moves by at most n·κ₂ times LU's backward error n·ε: n²·ε·κ₂(exp A). (eˢ − 1)/s is " +
            "evaluated as expm1(s)/s: the literal formula loses ε/|s| of relative accuracy as s → 0 (last plot).",
        },
        ...errorPlots(formula, "closed form vs expm", "floor c·n·ε·κ_exp"),
        caseTable(
          formula,
          "The formula: relative Frobenius error against expm; floor c·n·ε·κ_exp(x yᵀ).",
          "κ_exp",
        ),
        caseTable(det, "The determinant: |log det − s|; floor n²·ε·κ₂(exp(x yᵀ)).", "κ₂"),
        caseTable(
          inverse,
          `The inverse against expm(−x yᵀ); floor c·n·ε·κ_exp(−x yᵀ). Every product closed form × inverse is I to ${
            residual.toExponential(1)
          } relative.`,
          "κ_exp",
        ),
        {
          kind: "line",
          series: [
            { name: "(eˢ − 1)/s as written", x: ss, y: naive },
            { name: "ε/s", x: ss, y: ss.map((s) => EPS / s) },
          ],
          options: {
            title: "Why the formula needs expm1 near s = 0",
            subtitle: "relative error of (eˢ − 1)/s against expm1(s)/s; 0 where they agree exactly",
            xLabel: "s",
            yLabel: "relative error",
            logX: true,
            logY: true,
          },
        },
      ],
    }]);
  },
});
