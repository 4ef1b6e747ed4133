/**
 * The series ln det(I + A) = Σ (−1)^(k−1) tr(Aᵏ)/k against the exact log-determinant (LU of I + A), for
 * matrices of spectral radius ρ < 1 with eigenvectors far from orthogonal, and one with ρ > 1 where it
 * diverges. Two checks: the error never exceeds the eigenvalue bound n·ρ^(K+1)/((K+1)(1−ρ)) (plus the
 * rounding level), and its fitted decay rate per term is ρ.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const logSeries = defineStage({
  kind: "math-checks.log-series",
  module: import.meta.url,
  description: "ln det(I + A) by its power series: truncation error against ρ(A)^K/K",
  params: z.object({
    n: z.number().int().min(2).default(64),
    /** Spectral radii: the dominant eigenvalue is −ρ, the others uniform in (−ρ/2, ρ/2). */
    radii: z.array(z.number().positive().lt(1)).min(1).default([0.5, 0.8, 0.9]),
    /** A spectral radius above 1, shown diverging. */
    divergent: z.number().gt(1).default(1.05),
    /** κ₂ of the eigenvector matrix: A is far from normal. */
    condition: z.number().min(1).default(10),
    terms: z.number().int().min(10).default(300),
    /** The rate is fitted from this K on (the subdominant eigenvalues' share is 2^−K there)… */
    fitFrom: z.number().int().min(1).default(20),
    /** …while the bound on the error is above this, far above the rounding level. */
    fitAbove: z.number().positive().default(1e-9),
    seed: z.number().int().min(0).default(6377),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { slogdet } = await import("../../numerics/lu.ts");
    const { add, identity } = await import("../../numerics/matrix.ts");
    const { withEigenvalues } = await import("./test_matrices.ts");
    const { fittedRate, traceLogSeries, truncationBound } = await import("./series.ts");
    const { EPS } = await import("./error_plots.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const p = ctx.params;
    const ks = Array.from({ length: p.terms }, (_, k) => k + 1);
    const run = (rho: number, i: number) => {
      const rng = new Rng(mixSeed(p.seed, i));
      const eigenvalues = [-rho, ...Array.from({ length: p.n - 1 }, () => rng.uniform(-rho / 2, rho / 2))];
      const a = withEigenvalues(eigenvalues, p.condition, rng);
      const exact = slogdet(add(identity(p.n), a)).logAbsDet;
      const sums = traceLogSeries(a, p.terms);
      return { rho, exact, errors: Array.from(sums, (s) => Math.abs(s - exact)) };
    };
    const cases = p.radii.map((rho, i) => {
      const c = run(rho, i);
      ctx.progress({ done: i + 1, total: p.radii.length + 1, text: `ρ = ${rho}` });
      // Rounding: every partial sum is off by about n·ε·κ(S)²·(1 + Σ ρᵏ) from the products and LU.
      const rounding = p.n * EPS * p.condition ** 2 / (1 - rho);
      const bounds = ks.map((k) => truncationBound(p.n, rho, k));
      const window = ks.filter((k) => k >= p.fitFrom && bounds[k - 1]! >= p.fitAbove);
      const rate = window.length >= 3 ? fittedRate(window, window.map((k) => c.errors[k - 1]!)) : NaN;
      const boundRatio = Math.max(...ks.map((k) => c.errors[k - 1]! / (bounds[k - 1]! + rounding)));
      return {
        ...c,
        bounds,
        rounding,
        rate,
        window: [window[0] ?? NaN, window.at(-1) ?? NaN] as const,
        boundRatio,
        // The fit leaves out the tail's 1/K correction: ln((K+1)|T_K|) = c − ρ/((1−ρ)(K+1)) + …, which
        // tilts the fitted slope by about ρ/((1−ρ)·K₀·K₁).
        bias: rho / ((1 - rho) * (window[0] ?? 1) * (window.at(-1) ?? 1)),
      };
    });
    const divergent = run(p.divergent, p.radii.length);
    ctx.progress({ done: p.radii.length + 1, total: p.radii.length + 1 });
    ctx.metrics(0, {
      bound_ratio: Math.max(...cases.map((c) => c.boundRatio)),
      rate_error: Math.max(...cases.map((c) => Math.abs(c.rate / c.rho - 1))),
      divergent_error: divergent.errors.at(-1)!,
    });
    const every = (xs: number[]) => xs.filter((_, i) => i % 2 === 0 || i < 20);
    // The bounds fall far below float64's reach; draw them down to 1e-17.
    const visible = (ks: number[], ys: number[]) => {
      const keep = ys.map((y, i) => (y >= 1e-17 ? i : -1)).filter((i) => i >= 0);
      return { x: every(keep.map((i) => ks[i]!)), y: every(keep.map((i) => ys[i]!)) };
    };
    await writeReportSections(ctx.outDir, [{
      title: "ln det(I + A) as a power series",
      fragments: [
        {
          kind: "prose",
          text:
            "The article links the identity to ln det(I + A) = tr ln(I + A) = Σ (−1)^(k−1) tr(Aᵏ)/k, the series " +
            "i-ResNet truncates to estimate its log-determinant. Since tr(Aᵏ) = Σ λᵢᵏ for any square matrix, the " +
            "error after K terms is the scalar series' tail summed over the eigenvalues, at most " +
            "n·ρ^(K+1)/((K+1)(1−ρ)) for spectral radius ρ < 1: it falls like ρ^K/K, and for ρ > 1 the series " +
            `diverges. Each A here is ${p.n}×${p.n}, S·diag(λ)·S⁻¹ with κ(S) = ${p.condition} (far from normal, ` +
            "so ‖A‖ > ρ), dominant eigenvalue −ρ and the rest in (−ρ/2, ρ/2); the exact value is LU's " +
            `log det(I + A). The rate is the least-squares slope of ln((K+1)·error) over K = ${p.fitFrom}… while ` +
            `the bound exceeds ${p.fitAbove}, far above the rounding level.`,
        },
        {
          kind: "line",
          series: [
            ...cases.flatMap((c) => [
              { name: `error, ρ = ${c.rho}`, x: every(ks), y: every(c.errors) },
              { name: `bound, ρ = ${c.rho}`, ...visible(ks, c.bounds) },
            ]),
            { name: `error, ρ = ${p.divergent} (diverges)`, x: every(ks), y: every(divergent.errors) },
          ],
          options: {
            title: "Truncation error of the series against the number of terms",
            subtitle: "error |S_K − ln det(I + A)| and the eigenvalue bound n·ρ^(K+1)/((K+1)(1−ρ))",
            xLabel: "terms K",
            yLabel: "error",
            logY: true,
          },
        },
        {
          kind: "table",
          caption:
            "The fitted rate per term against ρ, and the worst error in units of the bound plus rounding.",
          rows: cases.map((c) => ({
            rho: c.rho,
            "fit over K": `${c.window[0]}…${c.window[1]}`,
            "fitted rate": c.rate,
            deviation: c.rate / c.rho - 1,
            "1/K bias": c.bias,
            "error / bound": c.boundRatio,
            "rounding level": c.rounding,
          })),
          columns: [
            { key: "rho", label: "ρ" },
            "fit over K",
            { key: "fitted rate", significant: 6 },
            { key: "deviation", label: "rate/ρ − 1", significant: 2 },
            { key: "1/K bias", label: "1/K bias (est.)", significant: 2 },
            { key: "error / bound", label: "max error / (bound + rounding)", significant: 2 },
            { key: "rounding level", significant: 2 },
          ],
        },
      ],
    }]);
  },
});
