/**
 * Newton–Schulz on whole matrices (the official `zeropower_via_newtonschulz5`, in float64): its output's
 * singular values are g^(5) of the input's normalised ones, which is what makes the scalar study of the
 * table the right one; and against the exact polar factor U·Vᵀ (from the SVD), ‖X₅ − U·Vᵀ‖₂ =
 * max|g^(5)(σ) − 1| is the docstring's range: "S' ~ Uniform(0.5, 1.5)".
 *
 * Floor of the scalar-map check: each step X ← aX + (bA + cA²)X errs by up to k·ε·(|a| + |b|·‖X‖² +
 * |c|·‖X‖⁴)·‖X‖ in the 2-norm (k the inner dimension), which moves singular values by as much (Weyl), and
 * later steps amplify it by at most L = max|g'| over the range each: a floor of k·ε·Σ_t Lᵗ·(|a| + |b|s² +
 * |c|s⁴)·s with s = max singular value along the way.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const nsMatrix = defineStage({
  kind: "muon-ns.ns-matrix",
  module: import.meta.url,
  description: "NS5 on Gaussian matrices: singular values = g⁵(σ), and the distance to the polar factor",
  params: z.object({
    shapes: z.array(z.tuple([z.number().int().min(2), z.number().int().min(2)])).min(1)
      .default([[1024, 512], [512, 512]]),
    steps: z.number().int().min(1).default(5),
    seed: z.number().int().min(0).default(10592),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { add, matmul, transpose } = await import("../../numerics/matrix.ts");
    const { gaussianMatrix } = await import("../../numerics/random_orthogonal.ts");
    const { singularValues, svd } = await import("../../numerics/svd.ts");
    const { newtonSchulz, nsIterate, OFFICIAL_NS } = await import("../../numerics/newton_schulz.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const p = ctx.params;
    const EPS = 2 ** -52;
    const { a, b, c } = OFFICIAL_NS;
    const results = p.shapes.map(([rows, cols], i) => {
      const m = gaussianMatrix(rows, cols, new Rng(mixSeed(p.seed, i)));
      const { u, s, v } = svd(m);
      const frobenius = Math.hypot(...s);
      const x = newtonSchulz(m, OFFICIAL_NS, p.steps);
      const got = singularValues(x);
      const want = Array.from(s, (sv) => nsIterate(sv / frobenius, OFFICIAL_NS, p.steps)).sort((q, r) =>
        r - q
      );
      const k = Math.max(rows, cols);
      // The floor: the largest value along the way and g's largest slope on [0, that].
      let top = s[0]! / frobenius, slope = 0;
      for (let t = 0; t < p.steps; t++) top = Math.max(top, nsIterate(s[0]! / frobenius, OFFICIAL_NS, t + 1));
      for (let j = 0; j <= 1000; j++) {
        const z = (j / 1000) * Math.max(top, 1.25);
        slope = Math.max(slope, Math.abs(a + 3 * b * z * z + 5 * c * z ** 4));
      }
      const perStep = k * EPS * (Math.abs(a) + Math.abs(b) * top ** 2 + Math.abs(c) * top ** 4) * top;
      let floor = 0;
      for (let t = 0; t < p.steps; t++) floor += perStep * slope ** t;
      let error = 0;
      for (let j = 0; j < want.length; j++) error = Math.max(error, Math.abs(got[j]! - want[j]!));
      const polar = matmul(u, transpose(v));
      const distance = singularValues(add(x, polar, 1, -1))[0]!;
      const inRange = got.filter((g) => g >= 0.5 && g <= 1.5).length / got.length;
      ctx.progress({ done: i + 1, total: p.shapes.length, text: `${rows}×${cols}` });
      return {
        rows,
        cols,
        error,
        floor,
        distance,
        min: got.at(-1)!,
        max: got[0]!,
        inRange,
        predictedMin: want.at(-1)!,
        rms: Math.sqrt(want.reduce((t, g) => t + (g - 1) ** 2, 0) / want.length),
        frobeniusDistance: Math.sqrt(
          add(x, polar, 1, -1).data.reduce((t, q) => t + q * q, 0) / Math.min(rows, cols),
        ),
      };
    });
    const tall = results.filter((r) => r.rows !== r.cols);
    ctx.metrics(0, {
      scalar_map_ratio: Math.max(...results.map((r) => r.error / r.floor)),
      ...(tall.length ? { tall_polar_distance: Math.max(...tall.map((r) => r.distance)) } : {}),
    });
    const f = (x: number) => x.toPrecision(3);
    await writeReportSections(ctx.outDir, [{
      title: "Newton–Schulz on a whole matrix",
      fragments: [
        {
          kind: "prose",
          text:
            `Muon's zeropower_via_newtonschulz5 with the official coefficients, ${p.steps} steps, run in float64 on ` +
            "seeded Gaussian matrices (the official code transposes tall matrices, divides by the Frobenius norm " +
            "and works in bfloat16). Its output's singular values are g^(5) of the input's normalised ones, to " +
            "the rounding floor: the scalar study above is the whole story. Against the exact polar factor " +
            "U·Vᵀ, ‖X₅ − U·Vᵀ‖₂ = max|g^(5)(σ) − 1|: the docstring's \"S' ~ Uniform(0.5, 1.5)\" holds on a tall " +
            "matrix, whose normalised singular values are bounded away from 0. A square one has singular values " +
            "down to ~1/n^1.5 after normalisation, which five steps cannot lift: those stay below 0.5 (the " +
            "fraction is in the table), and ‖X₅ − U·Vᵀ‖₂ approaches 1.",
        },
        {
          kind: "table",
          rows: results.map((r) => ({
            shape: `${r.rows}×${r.cols}`,
            "max |s − g⁵(σ)|": r.error,
            floor: r.floor,
            "singular values of X₅": `${f(r.min)} … ${f(r.max)}`,
            "in [0.5, 1.5]": `${(100 * r.inRange).toFixed(2)}%`,
            "‖X₅ − UVᵀ‖₂": r.distance,
            "‖X₅ − UVᵀ‖_F/√m": r.frobeniusDistance,
            "√mse_o": r.rms,
          })),
          columns: [
            "shape",
            { key: "max |s − g⁵(σ)|", significant: 2 },
            { key: "floor", significant: 2 },
            "singular values of X₅",
            "in [0.5, 1.5]",
            { key: "‖X₅ − UVᵀ‖₂", significant: 3 },
            { key: "‖X₅ − UVᵀ‖_F/√m", significant: 4 },
            { key: "√mse_o", label: "√mse_o of its σ", significant: 4 },
          ],
          caption: "‖X₅ − UVᵀ‖_F/√m equals √(mean (g⁵(σ) − 1)²) over that matrix's singular values.",
        },
      ],
    }]);
  },
});
