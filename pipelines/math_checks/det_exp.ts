/**
 * det(exp A) = exp(tr A) (kexue.fm/archives/6377): log det of the computed exp A (LU) against tr A, for
 * four families of matrices and n = 2…256, and for similarities of growing condition number at one size.
 *
 * The float64 floor: a relative perturbation η of E = exp A moves log det E by at most n·‖E⁻¹‖·‖δE‖ =
 * n·κ₂(E)·η. Two perturbations enter: LU's backward error, η ≈ n·ε, and exp A's own rounding error,
 * η ≈ ‖A‖₂·ε (exp's relative condition number for normal A, and what scaling and squaring attains, whose
 * s ≈ log₂‖A‖ squarings each double the relative error). So the floor is n·ε·κ₂(exp A)·(n + ‖A‖₂).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const detExp = defineStage({
  kind: "math-checks.det-exp",
  module: import.meta.url,
  description: "det(exp A) = exp(tr A) for n = 2…256 and growing conditioning, against the float64 floor",
  params: z.object({
    sizes: z.array(z.number().int().min(1).max(1024)).min(1).default([2, 4, 8, 16, 32, 64, 128, 256]),
    /** Half-width of the wide-spectrum family's eigenvalues: κ(exp A) up to e^(2L). */
    spread: z.number().positive().default(8),
    /** κ(S) of the ill-conditioned family in the size sweep. */
    condition: z.number().min(1).default(1e3),
    /** The condition sweep: S·D·S⁻¹ at size `sweepSize` with κ(S) = 10^d for each d of `decades`. */
    sweepSize: z.number().int().min(2).default(64),
    decades: z.array(z.number().min(0).max(12)).default([1, 2, 3, 4, 5, 6, 7]),
    seed: z.number().int().min(0).default(6377),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { expm } = await import("../../numerics/expm.ts");
    const { slogdet } = await import("../../numerics/lu.ts");
    const { trace } = await import("../../numerics/matrix.ts");
    const { singularValues } = await import("../../numerics/svd.ts");
    const { FAMILIES, testMatrix } = await import("./test_matrices.ts");
    const { EPS, errorPlots, worstRatio } = await import("./error_plots.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const p = ctx.params;
    type Case = import("./error_plots.ts").ErrorCase & { normA: number; kappaS?: number };
    const check = (family: string, n: number, condition: number, seedParts: number[]): Case => {
      const rng = new Rng(mixSeed(p.seed, ...seedParts));
      const a = testMatrix(family as (typeof FAMILIES)[number], n, rng, { spread: p.spread, condition });
      const e = expm(a);
      const { sign, logAbsDet } = slogdet(e);
      const s = singularValues(e);
      const kappa = s[0]! / s[n - 1]!;
      const normA = singularValues(a)[0]!;
      const error = sign > 0 ? Math.abs(logAbsDet - trace(a)) : Infinity;
      return { family, n, kappa, error, floor: n * EPS * kappa * (n + normA), normA };
    };
    const sizes: Case[] = [];
    let done = 0;
    const sweepConditions = p.decades.map((d) => 10 ** d);
    const total = FAMILIES.length * p.sizes.length + sweepConditions.length;
    for (const [f, family] of FAMILIES.entries()) {
      for (const n of p.sizes) {
        sizes.push(check(family, n, p.condition, [f, n]));
        ctx.progress({ done: ++done, total, text: `${family} n=${n}` });
      }
    }
    const sweep = sweepConditions.map((c, i) => {
      const r = check("ill-conditioned", p.sweepSize, c, [99, i]);
      ctx.progress({ done: ++done, total, text: `κ(S)=${c}` });
      return { ...r, family: `κ(S) sweep, n = ${p.sweepSize}`, kappaS: c };
    });
    const cases = [...sizes, ...sweep];
    ctx.metrics(0, {
      worst_ratio: worstRatio(cases),
      max_error: Math.max(...cases.map((c) => c.error)),
      cases: cases.length,
      // The floor without exp's own error, n·ε·κ₂(exp A): exceeded where ‖A‖ is large.
      lu_only_worst_ratio: Math.max(...cases.map((c) => c.error / (c.n * EPS * c.kappa))),
    });
    const nS = p.sweepSize;
    await writeReportSections(ctx.outDir, [{
      title: "det(exp A) = exp(tr A)",
      fragments: [
        {
          kind: "prose",
          text:
            "For every square A, det(exp A) = exp(tr A): the eigenvalues of exp A are the exponentials of A's. " +
            "We compute E = exp A by scaling and squaring (numerics/expm.ts), log det E by LU, and compare with " +
            "tr A; the error |log det E − tr A| is the relative error of det E. A relative perturbation η of E " +
            "moves log det E by at most n·κ₂(E)·η, and two enter: LU's backward error (η ≈ n·ε) and exp A's own " +
            "rounding error (η ≈ ‖A‖₂·ε, exp's condition number for normal A), so the float64 floor is " +
            "n·ε·κ₂(exp A)·(n + ‖A‖₂) with ε = 2⁻⁵². The families: Gaussian G/√n, a normal matrix with " +
            `eigenvalues in [−${p.spread}, ${p.spread}], a strongly non-normal Schur form, and S·D·S⁻¹ with ` +
            `κ(S) = ${p.condition}; then S·D·S⁻¹ at n = ${nS} for κ(S) = 10^${p.decades[0]} … 10^${
              p.decades.at(-1)
            }, ` +
            "where ‖A‖ grows with κ(S) and exp A's own error takes over from LU's.",
        },
        ...errorPlots(cases, "det(exp A) vs exp(tr A)", "floor n·ε·κ₂(exp A)·(n + ‖A‖₂)"),
        {
          kind: "line",
          series: [
            { name: "error", x: sweep.map((c) => c.kappa), y: sweep.map((c) => c.error) },
            { name: "floor n·ε·κ·(n + ‖A‖₂)", x: sweep.map((c) => c.kappa), y: sweep.map((c) => c.floor) },
            {
              name: "LU's part alone, n²·ε·κ",
              x: sweep.map((c) => c.kappa),
              y: sweep.map((c) => c.n * c.n * EPS * c.kappa),
            },
          ],
          options: {
            title: `Growing κ(S) at n = ${nS}`,
            subtitle: `κ(S) = ${sweepConditions.map((c) => c.toExponential(0)).join(", ")}; ‖A‖₂ up to ${
              Math.max(...sweep.map((c) => c.normA)).toExponential(1)
            }`,
            xLabel: "κ₂(exp A)",
            yLabel: "|log det exp A − tr A|",
            logX: true,
            logY: true,
            dots: true,
          },
        },
        {
          kind: "table",
          caption: "Every case: κ is κ₂(exp A), the floor n·ε·κ·(n + ‖A‖₂).",
          rows: cases.map((c) => ({
            family: c.kappaS === undefined ? c.family : `κ(S) = ${c.kappaS.toExponential(0)}`,
            n: c.n,
            kappa: c.kappa,
            normA: c.normA,
            error: c.error,
            floor: c.floor,
            ratio: c.error / c.floor,
          })),
          columns: [
            "family",
            "n",
            { key: "kappa", label: "κ₂(exp A)", significant: 3 },
            { key: "normA", label: "‖A‖₂", significant: 3 },
            { key: "error", significant: 3 },
            { key: "floor", significant: 3 },
            { key: "ratio", label: "error / floor", significant: 2 },
          ],
        },
      ],
    }]);
  },
});
