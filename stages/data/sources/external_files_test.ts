/**
 * The data sources that read files outside the store declare them (StageKind.externalFiles), so that
 * replacing a file at the same path changes the stage's cache key; and planning a pipeline hashes them.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { CodeHasher } from "../../../engine/code_digest.ts";
import { FileHasher } from "../../../engine/file_digest.ts";
import { resolveParams } from "../../../engine/params.ts";
import { PROJECT_ROOT } from "../../../engine/paths.ts";
import { definePipeline, use } from "../../../engine/pipeline.ts";
import { PlanError, planStages } from "../../../engine/plan.ts";
import type { StageKind } from "../../../engine/stage.ts";
import { gzip, idxBytes, withTempDir } from "../_test_util.ts";
import { DataError } from "../data_error.ts";
import { dataStageKinds } from "../stage_kinds.ts";
import { fashionMnistStage } from "./fashion_mnist.ts";
import { idxStage } from "./idx_files.ts";
import { imageFolderStage } from "./image_folder.ts";
import { sklearnDigitsStage } from "./sklearn_digits.ts";

const BASES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
];

/** The external files a kind declares for `params` (validated like the engine does). */
function filesOf(kind: StageKind, params: Record<string, unknown>): string[] {
  return kind.externalFiles!(kind.params.parse(params));
}

Deno.test("the sources that read outside files declare them; the others declare none", () => {
  const declaring = dataStageKinds.filter((k) => k.externalFiles !== undefined).map((k) => k.kind).sort();
  assert.deepEqual(declaring, ["data.fashion-mnist", "data.idx", "data.image-folder", "data.sklearn-digits"]);
});

Deno.test("data.fashion-mnist declares its four IDX files in `dir`, .gz or not, as run() reads them", async () => {
  await withTempDir(async (dir) => {
    for (const base of BASES) {
      await Deno.writeFile(`${dir}/${base}.gz`, gzip(idxBytes([0], new Uint8Array())));
    }
    const kind = fashionMnistStage as unknown as StageKind;
    assert.deepEqual(filesOf(kind, { dir }), BASES.map((b) => `${dir}/${b}.gz`));
    await Deno.rename(`${dir}/${BASES[3]}.gz`, `${dir}/${BASES[3]}`);
    assert.equal(
      filesOf(kind, { dir })[3],
      `${dir}/${BASES[3]}`,
      "the uncompressed file when there is no .gz",
    );
    await Deno.remove(`${dir}/${BASES[0]}.gz`);
    assert.throws(
      () => filesOf(kind, { dir }),
      (e: unknown) =>
        e instanceof DataError && /train-images-idx3-ubyte\.gz is missing/.test(e.message) &&
        /apt-get install dataset-fashion-mnist/.test(e.message),
    );
  });
});

Deno.test("data.idx, data.image-folder and data.sklearn-digits declare the paths their params name", async () => {
  const idx = { trainImages: "a", trainLabels: "b", testImages: "c", testLabels: "d" };
  assert.deepEqual(filesOf(idxStage as unknown as StageKind, idx), ["a", "b", "c", "d"]);
  const folder = imageFolderStage as unknown as StageKind;
  assert.deepEqual(filesOf(folder, { dir: "imgs" }), ["imgs"]);
  assert.deepEqual(filesOf(folder, { dir: "imgs", testDir: "test-imgs" }), ["imgs", "test-imgs"]);
  await withTempDir(async (dir) => {
    const digits = sklearnDigitsStage as unknown as StageKind;
    await Deno.writeTextFile(`${dir}/digits.csv.gz`, "");
    assert.deepEqual(filesOf(digits, { path: `${dir}/digits.csv.gz` }), [`${dir}/digits.csv.gz`]);
    assert.throws(
      () => filesOf(digits, { path: `${dir}/nope.csv.gz` }),
      (e: unknown) => e instanceof DataError && /apt-get install python3-sklearn/.test(e.message),
    );
  });
});

/** Plans a one-stage pipeline `data: use(kind, {params})`. */
function plan(kind: StageKind, params: Record<string, unknown>) {
  const pipeline = definePipeline({
    name: "files-test",
    description: "one data stage",
    article: { title: "none", url: "https://example.org" },
    params: z.object({}).strict(),
    stages: () => ({ data: use(kind, { params }) }),
  });
  return planStages(
    "files-test",
    resolveParams(pipeline, []),
    new CodeHasher(PROJECT_ROOT),
    new FileHasher(),
  );
}

Deno.test("planning hashes a data stage's files, and a missing one is a PlanError with the stage's own hint", async () => {
  await withTempDir(async (dir) => {
    for (const base of BASES) {
      await Deno.writeFile(`${dir}/${base}.gz`, gzip(idxBytes([0], new Uint8Array())));
    }
    const kind = fashionMnistStage as unknown as StageKind;
    const [stage] = plan(kind, { dir });
    assert.deepEqual(Object.keys(stage!.files!), BASES.map((b) => `${dir}/${b}.gz`));
    await Deno.writeFile(`${dir}/${BASES[0]}.gz`, gzip(idxBytes([1, 1, 1], new Uint8Array([7]))));
    const [again] = plan(kind, { dir });
    assert.notEqual(again!.files![`${dir}/${BASES[0]}.gz`], stage!.files![`${dir}/${BASES[0]}.gz`]);
    assert.throws(
      () => plan(kind, { dir: `${dir}/nowhere` }),
      (e: unknown) =>
        e instanceof PlanError &&
        e.message.startsWith(
          "Cannot plan files-test: stage data (data.fashion-mnist): Cannot find Fashion-MNIST",
        ) &&
        /apt-get install dataset-fashion-mnist/.test(e.message),
    );
    // A kind without its own check gets the engine's message, which names the param to set.
    assert.throws(
      () => plan(imageFolderStage as unknown as StageKind, { dir: `${dir}/no-images` }),
      (e: unknown) =>
        e instanceof PlanError &&
        e.message ===
          `Cannot plan files-test: stage data (data.image-folder) reads ${dir}/no-images, which does not exist ` +
            `(from the param data.dir = ${dir}/no-images). Put it there, or point the stage at an ` +
            `existing path with --set data.dir=…`,
    );
  });
});
