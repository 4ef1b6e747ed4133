/**
 * `eval.toy-modes`: mode coverage of a 2-D toy generator (toy_modes_math.ts: modes covered, share of
 * samples within 3σ of a mode, KL of the mode histogram from uniform, MEG's criterion), beside the same
 * numbers for as many real test points, and a scatter of the samples over the target's density.
 *
 * Inputs: `trained` (a `train.run` output with a sampler export: `export.onnx` + `export.json`, or the
 * further export `exports/<export>/`, fed the weights of `final.safetensors`, so an export may read any
 * trained network, e.g. a Langevin sampler that reads the energy too) and `data` (the `data.toy-2d`
 * shards, whose manifest names the target). The noise is seeded by `seed`, the same for every variant.
 *
 * Metrics: `modes`, `covered` (modes covered), `hq_share`, `mode_kl`, `kl_floor` (the KL a perfect generator
 * would show from sampling alone, (K − 1)/(2N)), and `real_covered`, `real_hq_share`,
 * `real_mode_kl` of the real test points. Output: `toy_modes.json` and, unless `title` is "none", a
 * report section (report.json).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const toyModes = defineStage({
  kind: "eval.toy-modes",
  module: import.meta.url,
  description: "Mode coverage of a 2-D toy generator: modes covered, share within 3σ, KL from uniform",
  params: z.object({
    /** MEG's count_modes_toy.py draws 100 batches of 100. */
    samples: z.number().int().min(10).default(10_000),
    seed: z.number().int().min(0).default(0),
    /** Read `exports/<export>/` of the trained output instead of its main sampler. */
    export: z.string().regex(/^[a-z0-9-]+$/).optional(),
    /** A mode is covered with at least this share of its uniform share of the samples (and ≥ 1). */
    minShare: z.number().min(0).max(1).default(0.1),
    /** Arcs of equal mass K of the ring and the swiss roll. */
    arcs: z.number().int().min(2).default(16),
    /** Points drawn in the scatter (of `samples`). */
    shown: z.number().int().min(1).default(1000),
    /** The report section's title; "none": no section. */
    title: z.string().default("Samples over the target's density"),
  }).strict(),
  inputs: ["trained", "data"],
  async run(ctx) {
    const p = ctx.params;
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { decodeSafetensors, tensorsToState } = await import("../../models/onnx/safetensors.ts");
    const { openShards } = await import("../data/shard_reader.ts");
    const { readExport } = await import("../train/export_info.ts");
    const { fillNoise } = await import("../train/noise.ts");
    const { writeReportSections } = await import("../report/fragments.ts");
    const { densityGrid, klSamplingFloor, modeStats, toyModes } = await import("./toy_modes_math.ts");

    const dir = p.export === undefined ? ctx.inputs.trained : `${ctx.inputs.trained}/exports/${p.export}`;
    const sampler = await readExport(dir);
    if (sampler?.role !== "sampler") {
      throw new Error(`Input 'trained' (${dir}) has no sampler export: train a generator graph`);
    }
    if (sampler.sampleShape.join() !== "2") {
      throw new Error(
        `eval.toy-modes reads 2-D points; the sampler in ${dir} makes [${sampler.sampleShape}]`,
      );
    }
    const shards = await openShards(ctx.inputs.data);
    const distribution = (shards.manifest.source as { distribution?: Record<string, unknown> }).distribution;
    if (!distribution) {
      throw new Error(
        `Input 'data' (${ctx.inputs.data}) is not a data.toy-2d shard set: no source.distribution`,
      );
    }
    const target = toyModes(distribution as never, { arcs: p.arcs });

    // ---- samples ----
    const finalPath = `${ctx.inputs.trained}/final.safetensors`;
    const weights = tensorsToState(decodeSafetensors(await Deno.readFile(finalPath), finalPath).tensors);
    const session = await createSession(await Deno.readFile(`${dir}/export.onnx`), {
      intraOpNumThreads: ctx.threads,
    });
    const feeds = Object.fromEntries(
      session.inputNames.filter((n) => n !== sampler.input).map((n) => {
        if (!(n in weights)) {
          throw new Error(`${finalPath} holds no '${n}', which the sampler in ${dir} reads`);
        }
        return [n, weights[n]!];
      }),
    );
    const batch = sampler.inputShape[0]!;
    const noise = new Float32Array(sampler.inputShape.reduce((a, b) => a * b, 1));
    const points = new Float32Array(2 * p.samples);
    for (let b = 0; b * batch < p.samples; b++) {
      fillNoise(noise, sampler.noise, p.seed, b, 0);
      const out = (await runSession(session, { ...feeds, [sampler.input]: noise }))[sampler.output]!.data;
      const count = Math.min(batch, p.samples - b * batch);
      points.set((out as Float32Array).subarray(0, 2 * count), 2 * b * batch);
    }
    await session.release();

    // ---- real test points ----
    const test = await shards.readAll("test");
    const realCount = Math.min(p.samples, test.count);
    const real = (test.x as Float32Array).subarray(0, 2 * realCount);

    const ours = modeStats(points, target, { minShare: p.minShare });
    const theirs = modeStats(real, target, { minShare: p.minShare });
    const floor = klSamplingFloor(ours.samples, target.modes).mean;
    const metrics = {
      modes: target.modes,
      covered: ours.covered,
      hq_share: ours.highQuality,
      mode_kl: ours.kl,
      kl_floor: floor,
      real_covered: theirs.covered,
      real_hq_share: theirs.highQuality,
      real_mode_kl: theirs.kl,
    };
    ctx.metrics(0, metrics);
    ctx.log(
      `${ours.covered} of ${target.modes} modes, ${(100 * ours.highQuality).toFixed(1)}% within 3σ, KL ${
        ours.kl.toFixed(3)
      } (real: ${theirs.covered}, ${(100 * theirs.highQuality).toFixed(1)}%, ${theirs.kl.toFixed(3)})`,
    );
    await Deno.writeTextFile(
      `${ctx.outDir}/toy_modes.json`,
      JSON.stringify(
        { title: p.title, target: target.describe, metrics, counts: ours.counts, realCounts: theirs.counts },
        null,
        1,
      ),
    );
    if (p.title === "none") return;
    const n = 60;
    const shown = Math.min(p.shown, p.samples);
    const [bx, by] = target.box;
    const finite = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(4)) : null);
    await writeReportSections(ctx.outDir, [{
      title: p.title,
      fragments: [
        {
          kind: "scatter",
          groups: [{
            name: "generated",
            x: Array.from({ length: shown }, (_, i) => Number(points[2 * i]!.toPrecision(4))),
            y: Array.from({ length: shown }, (_, i) => Number(points[2 * i + 1]!.toPrecision(4))),
          }],
          options: {
            title: p.title,
            subtitle: `${shown} of ${p.samples} samples over the target's density`,
            equalAxes: true,
            xDomain: bx,
            yDomain: by,
            width: 480,
            radius: 1.5,
            density: {
              values: densityGrid(target, n).map((v) => Number(v.toPrecision(3))),
              width: n,
              height: n,
              x: bx,
              y: by,
              label: "target density",
            },
          },
        },
        {
          kind: "table",
          rows: [
            {
              points: "generated",
              modes: `${ours.covered} of ${target.modes}`,
              hq: finite(ours.highQuality),
              kl: finite(ours.kl),
            },
            {
              points: "real test points",
              modes: `${theirs.covered} of ${target.modes}`,
              hq: finite(theirs.highQuality),
              kl: finite(theirs.kl),
            },
          ],
          columns: [
            "points",
            { key: "modes", label: "modes covered" },
            { key: "hq", label: "share within 3σ", digits: 3 },
            { key: "kl", label: "KL(modes ‖ uniform)", digits: 3 },
          ],
          caption:
            `Target: ${target.describe}. A mode is covered by at least ${p.minShare} of its uniform share of ` +
            `samples within 3σ; the ` +
            `KL is of every sample at its nearest mode, ≈ ${floor.toPrecision(2)} for a perfect generator.`,
        },
      ],
    }]);
  },
});
