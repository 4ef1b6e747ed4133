/**
 * The article's coefficient study (kexue.fm/archives/10592): for each (n, m, T) row of its table, the
 * coefficients fitted by its procedure (fit.ts) and the mean squared error of g^(T)(σ) − 1 over the
 * singular values, for the fitted and for Muon's official coefficients, beside the article's numbers.
 * Rows whose shape was decomposed exactly use those singular values (with a standard error from the
 * spread between matrices) and also report the Marchenko–Pastur law's value as a check of the law; the
 * others use the law.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

const row = z.object({ n: z.number().int(), m: z.number().int(), steps: z.number().int().min(1).max(10) })
  .strict();

/** One row of the study as the stage writes it to `table.json`. */
export interface StudyRow {
  n: number;
  m: number;
  steps: number;
  source: "svd" | "law";
  matrices: number;
  kappa: number;
  x1: number;
  x2: number;
  a: number;
  b: number;
  c: number;
  mse: number;
  mseOfficial: number;
  /** Standard errors over matrices (svd rows; 0 for the law). */
  mseSe: number;
  mseOfficialSe: number;
  /** The law's values for the same row, where the row itself uses exact singular values. */
  lawMse: number | null;
  lawMseOfficial: number | null;
  /** Where the same descent ended when it was still falling after `steps` (else null). */
  extended: { steps: number; kappa: number; x1: number; x2: number; mse: number } | null;
  seconds: number;
}

export const coefficients = defineStage({
  kind: "muon-ns.coefficients",
  module: import.meta.url,
  description: "fits the Newton–Schulz coefficients per (n, m, T) as the article does; mse and mse_o",
  params: z.object({
    /** Rows of the article's table to reproduce (all twelve by default). */
    rows: z.array(row).optional(),
    /** The article's optimiser: 100,000 full-batch steps of momentum 0.9 at learning rate 0.01. */
    steps: z.number().int().min(1).default(100_000),
    learningRate: z.number().positive().default(0.01),
    momentum: z.number().min(0).lt(1).default(0.9),
    init: z.object({
      kappa: z.number().default(1),
      x1: z.number().default(0.9),
      x2: z.number().default(1.1),
    }).strict().default({ kappa: 1, x1: 0.9, x2: 1.1 }),
    /**
     * A row whose loss still fell by more than `tolerance` (relative) over the last tenth of the steps is
     * continued, up to `maxSteps` in all, and that result is shown beside the article's-length one.
     */
    extend: z.object({
      maxSteps: z.number().int().min(1).default(400_000),
      tolerance: z.number().positive().default(1e-4),
    }).strict().default({ maxSteps: 400_000, tolerance: 1e-4 }),
  }).strict(),
  inputs: ["spectra"],
  async run(ctx) {
    const { ARTICLE_TABLE, rowKey, toleranceRatio } = await import("./article_table.ts");
    const { readSpectrum, readSpectrumIndex } = await import("./spectrum_files.ts");
    const { fitRoots, lossAndGradient } = await import("./fit.ts");
    const { coefficientsFromRoots, nsIterate, OFFICIAL_NS } = await import("../../numerics/newton_schulz.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const p = ctx.params;
    const sets = await readSpectrumIndex(ctx.inputs.spectra);
    const wanted = p.rows ?? ARTICLE_TABLE.map((r) => ({ n: r.n, m: r.m, steps: r.steps }));
    /** mean (g^(T)(σ) − 1)² per matrix, for coefficients c. */
    const perMatrix = (
      values: Float64Array,
      m: number,
      c: { a: number; b: number; c: number },
      steps: number,
    ) => {
      const out: number[] = [];
      for (let k = 0; k < values.length / m; k++) {
        let s = 0;
        for (let i = k * m; i < (k + 1) * m; i++) s += (nsIterate(values[i]!, c, steps) - 1) ** 2;
        out.push(s / m);
      }
      return out;
    };
    const meanSe = (xs: number[]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
      return { mean, se: sd / Math.sqrt(xs.length) };
    };
    const rows: StudyRow[] = [];
    const histories: { key: string; history: [number, number][] }[] = [];
    for (const [ri, r] of wanted.entries()) {
      const exact = sets.find((s) => s.n === r.n && s.m === r.m && s.source === "svd");
      const law = sets.find((s) => s.n === r.n && s.m === r.m && s.source === "law");
      const set = exact ?? law;
      if (!set) {
        throw new Error(
          `No singular values for ${r.n}×${r.m}: add the shape to the spectra stage's 'exact' or 'law' list`,
        );
      }
      const values = await readSpectrum(ctx.inputs.spectra, set);
      const start = performance.now();
      const fit = fitRoots(values, r.steps, {
        steps: p.steps,
        learningRate: p.learningRate,
        momentum: p.momentum,
        init: p.init,
        extend: p.extend,
        every: Math.max(1, Math.floor(p.steps / 100)),
        onProgress: (step) =>
          ctx.progress({
            done: ri * p.steps + Math.min(step, p.steps),
            total: wanted.length * p.steps,
            text: `${r.n}×${r.m}, T = ${r.steps}${step > p.steps ? ` (continued: step ${step})` : ""}`,
          }),
      });
      const fitted = coefficientsFromRoots(fit.roots);
      const m = set.source === "svd" ? set.m : values.length;
      const mse = meanSe(perMatrix(values, m, fitted, r.steps));
      const official = meanSe(perMatrix(values, m, OFFICIAL_NS, r.steps));
      let lawMse: number | null = null, lawMseOfficial: number | null = null;
      if (exact && law) {
        const lv = await readSpectrum(ctx.inputs.spectra, law);
        lawMseOfficial = perMatrix(lv, lv.length, OFFICIAL_NS, r.steps)[0]!;
        lawMse = perMatrix(lv, lv.length, fitted, r.steps)[0]!;
      }
      // The fit's own loss is the mean over all values: the same number as the mean over matrices.
      const check = lossAndGradient(
        Float64Array.of(fit.roots.kappa, fit.roots.x1, fit.roots.x2),
        values,
        r.steps,
        new Float64Array(3),
      );
      if (Math.abs(check - mse.mean) > 1e-12 * Math.max(1, mse.mean)) {
        throw new Error(`Internal check failed: fit loss ${check} but mse ${mse.mean} for ${rowKey(r)}`);
      }
      const extended = fit.extended
        ? {
          steps: fit.extended.steps,
          ...fit.extended.roots,
          mse: meanSe(perMatrix(values, m, coefficientsFromRoots(fit.extended.roots), r.steps)).mean,
        }
        : null;
      rows.push({
        extended,
        n: r.n,
        m: r.m,
        steps: r.steps,
        source: set.source,
        matrices: set.source === "svd" ? set.matrices : 0,
        ...fit.roots,
        ...fitted,
        mse: mse.mean,
        mseOfficial: official.mean,
        mseSe: mse.se,
        mseOfficialSe: official.se,
        lawMse,
        lawMseOfficial,
        seconds: (performance.now() - start) / 1000,
      });
      histories.push({ key: rowKey(r), history: fit.history });
      const key = rowKey(r);
      ctx.metrics(0, {
        [`mse-${key}`]: mse.mean,
        ...(extended ? { [`mse_continued-${key}`]: extended.mse } : {}),
        [`mse_o-${key}`]: official.mean,
        ...(set.source === "svd" && set.matrices > 1
          ? { [`se-${key}`]: mse.se, [`se_o-${key}`]: official.se }
          : {}),
        ...(lawMseOfficial !== null ? { [`law_mse_o-${key}`]: lawMseOfficial } : {}),
      });
    }
    await Deno.writeTextFile(`${ctx.outDir}/table.json`, JSON.stringify({ rows }, null, 1));
    // Every row against the article in units of its tolerance (mse: where the descent converged).
    const compared = rows.flatMap((r) => {
      const a = ARTICLE_TABLE.find((x) => x.n === r.n && x.m === r.m && x.steps === r.steps);
      return a ? [{ r, a }] : [];
    });
    if (compared.length) {
      ctx.metrics(0, {
        worst_mse_o_ratio: Math.max(
          ...compared.map(({ r, a }) => toleranceRatio(r.mseOfficial, a.mseOfficial)),
        ),
        worst_mse_ratio: Math.max(
          ...compared.map(({ r, a }) => toleranceRatio(r.extended?.mse ?? r.mse, a.mse)),
        ),
      });
    }

    const article = (r: StudyRow) =>
      ARTICLE_TABLE.find((a) => a.n === r.n && a.m === r.m && a.steps === r.steps);
    const rel = (
      ours: number,
      ref: number | undefined,
    ) => (ref === undefined ? null : 100 * (ours / ref - 1));
    // One matrix has no spread to estimate a standard error from.
    const se = (r: StudyRow, value: number) => (r.source === "svd" && r.matrices > 1 ? value : "—");
    const xs = Array.from({ length: 281 }, (_, i) => (0.07 * i) / 280);
    const curves = (steps: number) => {
      const chosen = rows.filter((r) => r.steps === steps && (r.n === r.m ? r.n === 1024 : r.n === 2048));
      return [
        {
          name: "official (3.4445, −4.775, 2.0315)",
          x: xs,
          y: xs.map((x) => nsIterate(x, OFFICIAL_NS, steps)),
        },
        ...chosen.map((r) => ({
          name: `fitted for ${r.n}×${r.m} (${r.a.toFixed(3)}, ${r.b.toFixed(3)}, ${r.c.toFixed(3)})`,
          x: xs,
          y: xs.map((x) => nsIterate(x, r, steps)),
        })),
      ];
    };
    const longest = histories.find((h) => h.key === "1024x1024-T5") ?? histories[0];
    await writeReportSections(ctx.outDir, [{
      title: "The coefficient table",
      fragments: [
        {
          kind: "prose",
          text:
            "For each row, the coefficients are fitted as the article's JAX code does: g(x) = x + κx(x² − x₁²)(x² − x₂²) " +
            `applied T times, loss = mean of (g^(T)(σ) − 1)² over the singular values, ${
              p.steps.toLocaleString("en")
            } ` +
            `full-batch steps of u ← ${p.momentum}·u + ∇, w ← w − ${p.learningRate}·u from (κ, x₁, x₂) = ` +
            `(${p.init.kappa}, ${p.init.x1}, ${p.init.x2}), in float64 with a hand-derived gradient (the article: ` +
            "float32 in JAX). mse is the fitted coefficients' loss, mse_o that of Muon's official (3.4445, −4.7750, " +
            "2.0315). Rows marked svd use exact singular values of seeded Gaussian matrices (± one standard error " +
            "over the matrices); the article used 1000 matrices per row. Rows marked law use the Marchenko–Pastur " +
            "limit, and for the svd rows the law's mse_o is shown as a check: it differs from the exact value by " +
            "the finite-n correction, largest for square matrices (whose smallest singular values sit at the hard " +
            "edge 0, where g^(T) is far from 1). A row whose loss still fell after the article's steps (by more " +
            `than ${p.extend.tolerance} over their last tenth) is continued, up to ${
              p.extend.maxSteps.toLocaleString("en")
            } ` +
            "steps in all, and the converged value shown beside it.",
        },
        {
          kind: "table",
          caption: "Ours beside the article's table (Δ: our value / the article's − 1).",
          rows: rows.map((r) => {
            const a = article(r);
            return {
              shape: `${r.n}×${r.m}`,
              T: r.steps,
              "σ from": r.source === "svd" ? `svd ×${r.matrices}` : "law",
              mse: r.mse,
              "mse (article)": a?.mse ?? null,
              "Δ mse": rel(r.mse, a?.mse),
              mse_o: r.mseOfficial,
              "mse_o (article)": a?.mseOfficial ?? null,
              "Δ mse_o": rel(r.mseOfficial, a?.mseOfficial),
            };
          }),
          columns: [
            "shape",
            "T",
            "σ from",
            { key: "mse", significant: 4 },
            { key: "mse (article)", label: "article", significant: 4 },
            { key: "Δ mse", label: "Δ", digits: 2, unit: "%" },
            { key: "mse_o", significant: 4 },
            { key: "mse_o (article)", label: "article", significant: 4 },
            { key: "Δ mse_o", label: "Δ", digits: 2, unit: "%" },
          ],
        },
        ...(rows.some((r) => r.extended)
          ? [{
            kind: "table" as const,
            caption:
              "Rows still descending after the article's steps, continued: the same run, to where it converged.",
            rows: rows.filter((r) => r.extended).map((r) => ({
              shape: `${r.n}×${r.m}`,
              T: r.steps,
              [`mse at ${p.steps / 1000}k`]: r.mse,
              steps: r.extended!.steps,
              "mse converged": r.extended!.mse,
              "κ, x₁, x₂": `${r.extended!.kappa.toFixed(3)}, ${r.extended!.x1.toFixed(3)}, ${
                r.extended!.x2.toFixed(3)
              }`,
              article: article(r)?.mse ?? null,
            })),
          }]
          : []),
        {
          kind: "table",
          caption:
            "The law against exact singular values: mse_o over each, and their difference, the finite-n correction.",
          rows: rows.filter((r) => r.lawMseOfficial !== null).map((r) => ({
            shape: `${r.n}×${r.m}`,
            T: r.steps,
            "exact (svd)": r.mseOfficial,
            "s.e.": se(r, r.mseOfficialSe),
            law: r.lawMseOfficial,
            "law / exact − 1": 100 * (r.lawMseOfficial! / r.mseOfficial - 1),
          })),
          columns: [
            "shape",
            "T",
            { key: "exact (svd)", significant: 5 },
            { key: "s.e.", significant: 2 },
            { key: "law", significant: 5 },
            { key: "law / exact − 1", digits: 2, unit: "%" },
          ],
        },
        {
          kind: "table",
          caption:
            "The fitted coefficients beside the article's, and the standard errors of our mse over matrices.",
          rows: rows.map((r) => {
            const a = article(r);
            return {
              shape: `${r.n}×${r.m}`,
              T: r.steps,
              "κ, x₁, x₂": `${r.kappa.toFixed(3)}, ${r.x1.toFixed(3)}, ${r.x2.toFixed(3)}`,
              "article κ, x₁, x₂": a ? `${a.kappa.toFixed(3)}, ${a.x1.toFixed(3)}, ${a.x2.toFixed(3)}` : "—",
              "a, b, c": `${r.a.toFixed(3)}, ${r.b.toFixed(3)}, ${r.c.toFixed(3)}`,
              "s.e. mse": se(r, r.mseSe),
              "s.e. mse_o": se(r, r.mseOfficialSe),
              "fit (s)": r.seconds,
            };
          }),
          columns: [
            "shape",
            "T",
            "κ, x₁, x₂",
            "article κ, x₁, x₂",
            "a, b, c",
            { key: "s.e. mse", significant: 2 },
            { key: "s.e. mse_o", significant: 2 },
            { key: "fit (s)", significant: 2 },
          ],
        },
        ...[5, 3].filter((t) => rows.some((r) => r.steps === t)).map((t) => ({
          kind: "line" as const,
          series: curves(t),
          options: {
            title: `g^(${t})(σ): ${t} Newton–Schulz steps on one singular value`,
            subtitle:
              "over the range of normalised singular values (≤ 0.0625 for 1024×1024); the target is 1",
            xLabel: "σ / ‖M‖_F",
            yLabel: `g^(${t})(σ)`,
          },
        })),
        ...(longest
          ? [{
            kind: "line" as const,
            series: [{
              name: "loss",
              x: longest.history.map(([s]) => s),
              y: longest.history.map(([, l]) => l),
            }],
            options: {
              title: `The fit converging: ${longest.key.replace("-T", ", T = ").replace("x", "×")}`,
              xLabel: "step",
              yLabel: "mean (g^(T)(σ) − 1)²",
              logY: true,
            },
          }]
          : []),
      ],
    }]);
  },
});
