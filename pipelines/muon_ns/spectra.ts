/**
 * The singular values the Muon coefficient study runs on: those of Frobenius-normalised n×m Gaussian
 * matrices, by exact SVD (numerics/svd.ts) where that is affordable, and for every shape of the table the
 * Marchenko–Pastur law's classical locations (numerics/marchenko_pastur.ts), its n → ∞ limit. The shapes
 * decomposed exactly check the law at finite n; the largest (4096², 8192²) use the law alone: one exact
 * SVD of an 8192² matrix would take ~10 minutes here.
 *
 * Output: `spectra.json` (what each file holds) and one float64 file per set, little-endian, matrices one
 * after another (m values each, descending).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import type { SpectrumSet } from "./spectrum_files.ts";

/** "2048x1024": n rows, m columns. */
const SHAPE = /^(\d+)x(\d+)$/;
const parseShape = (text: string) => {
  const [, n, m] = SHAPE.exec(text)!;
  return { n: Number(n), m: Number(m) };
};

export const spectra = defineStage({
  kind: "muon-ns.spectra",
  module: import.meta.url,
  description: "singular values of normalised Gaussian matrices: exact SVD, and the Marchenko–Pastur law",
  params: z.object({
    /** Shapes decomposed exactly ("n×m" as "2048x1024", n ≥ m), with the number of matrices of each. */
    exact: z.record(z.string().regex(SHAPE, "a shape is written like 2048x1024"), z.number().int().min(1))
      .default({ "1024x1024": 8, "2048x1024": 4, "4096x1024": 2, "2048x2048": 1 }),
    /** Classical locations of the law, for every shape of the article's table. */
    lawPoints: z.number().int().min(16).default(8192),
    seed: z.number().int().min(0).default(42),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { gaussianMatrix } = await import("../../numerics/random_orthogonal.ts");
    const { singularValues } = await import("../../numerics/svd.ts");
    const { marchenkoPasturSingularValues } = await import("../../numerics/marchenko_pastur.ts");
    const { ARTICLE_TABLE } = await import("./article_table.ts");
    const p = ctx.params;
    const sets: SpectrumSet[] = [];
    const exact = Object.entries(p.exact).map(([text, matrices]) => ({ ...parseShape(text), matrices }));
    const lawShapes = [...new Set(ARTICLE_TABLE.map((r) => `${r.n}x${r.m}`))].map(parseShape);
    const total = exact.reduce((s, e) => s + e.matrices, 0);
    let done = 0;
    for (const e of exact) {
      if (e.n < e.m) throw new Error(`Shape ${e.n}×${e.m}: the study takes n ≥ m (rows ≥ columns)`);
      const values = new Float64Array(e.matrices * e.m);
      const start = performance.now();
      for (let k = 0; k < e.matrices; k++) {
        const s = singularValues(gaussianMatrix(e.n, e.m, new Rng(mixSeed(p.seed, e.n, e.m, k))));
        const frobenius = Math.hypot(...s);
        for (let i = 0; i < e.m; i++) values[k * e.m + i] = s[i]! / frobenius;
        ctx.progress({ done: ++done, total, text: `SVD ${e.n}×${e.m} #${k + 1}` });
      }
      const seconds = (performance.now() - start) / 1000;
      const file = `svd-${e.n}x${e.m}.f64`;
      await Deno.writeFile(`${ctx.outDir}/${file}`, new Uint8Array(values.buffer));
      sets.push({
        n: e.n,
        m: e.m,
        source: "svd",
        file,
        matrices: e.matrices,
        values: values.length,
        seconds,
      });
      ctx.metrics(0, { [`svd_seconds_${e.n}x${e.m}`]: seconds / e.matrices });
    }
    for (const l of lawShapes) {
      const start = performance.now();
      const values = marchenkoPasturSingularValues(l.n, l.m, p.lawPoints).reverse();
      const file = `law-${l.n}x${l.m}.f64`;
      await Deno.writeFile(`${ctx.outDir}/${file}`, new Uint8Array(values.buffer));
      const seconds = (performance.now() - start) / 1000;
      sets.push({ n: l.n, m: l.m, source: "law", file, matrices: 1, values: values.length, seconds });
    }
    await Deno.writeTextFile(`${ctx.outDir}/spectra.json`, JSON.stringify({ sets }, null, 1));

    // The exact values of the first shape beside the law's density, as a picture of what is fitted.
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const { marchenkoPasturDensity } = await import("../../numerics/marchenko_pastur.ts");
    const first = sets.find((s) => s.source === "svd");
    const fragments: import("../../stages/report/fragments.ts").Fragment[] = [{
      kind: "table",
      caption:
        "Where the singular values come from. svd: exact, of seeded Gaussian matrices, each divided by its " +
        "Frobenius norm; law: the Marchenko–Pastur classical locations, scaled as σ = √(λ/m).",
      rows: sets.map((s) => ({
        shape: `${s.n}×${s.m}`,
        source: s.source === "svd"
          ? `exact SVD, ${s.matrices} matri${s.matrices === 1 ? "x" : "ces"}`
          : "Marchenko–Pastur law",
        values: s.values,
        seconds: s.seconds,
      })),
      columns: ["shape", "source", "values", { key: "seconds", label: "time (s)", significant: 2 }],
    }];
    if (first) {
      const bytes = await Deno.readFile(`${ctx.outDir}/${first.file}`);
      const values = Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8));
      const y = first.m / first.n;
      const top = Math.max(...values) * 1.05;
      const xs = Array.from({ length: 401 }, (_, i) => (i * top) / 400);
      // σ = √(λ/m): the density of σ is p_λ(mσ²)·2mσ.
      const density = xs.map((s) => marchenkoPasturDensity(first.m * s * s, y) * 2 * first.m * s);
      fragments.push({
        kind: "histogram",
        values,
        reference: { label: "Marchenko–Pastur law", x: xs, y: density },
        options: {
          title: `Normalised singular values of ${first.matrices} Gaussian ${first.n}×${first.m} matrices`,
          xLabel: "σ / ‖M‖_F",
          bins: 60,
        },
      });
    }
    await writeReportSections(ctx.outDir, [{ title: "The singular values", fragments }]);
  },
});
