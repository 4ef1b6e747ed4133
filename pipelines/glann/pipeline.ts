/**
 * «非对抗式生成模型GLANN的简单介绍» (kexue.fm/archives/6394): IMLE as Su's imle.py trains it (all pairs
 * within the batch), his repulsion variant, GLANN (GLO with a Laplacian-pyramid L1 loss, then IMLE in
 * latent space) and a VAE, all four on the same decoder at equal steps, on the image-generator family
 * with the glann graph kind (graph.ts, models/onnx/models/glann.ts). GLO's per-image codes are fed by
 * the training stage's record-index feed (`train.feeds.idx = indices`).
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import { generatorClaims, imageGeneratorPipeline } from "../../families/image_generator.ts";
import { snapshotGrids } from "../../stages/eval/snapshot_grids.ts";
import { graph } from "./graph.ts";

/** Every method on the same decoder; the first is the one the report shows in full. */
const VARIANTS = {
  imle: { graph: { method: "imle" }, label: "IMLE", train: { feeds: { z: "normal" } } },
  "imle-repulsion": {
    graph: { method: "imle-repulsion" },
    label: "IMLE with fake–fake repulsion (Su)",
    train: { feeds: { z: "normal", z2: "normal" } },
  },
  glann: {
    graph: { method: "glann" },
    label: "GLANN: GLO (Laplacian L1) + latent IMLE",
    train: { feeds: { idx: "indices", z: "normal" } },
  },
  vae: { graph: { method: "vae" }, label: "VAE (same decoder)" },
} as const;

const fid = (variant: string) => ({ stage: `evaluate@${variant}`, metric: "final_fid" });
const nearest = (variant: string, m: "nearest_samples" | "nearest_test") => ({
  stage: `evaluate@${variant}`,
  metric: m,
});

export const pipeline = imageGeneratorPipeline({
  name: "glann",
  description: "IMLE, IMLE with repulsion, GLANN (GLO + latent IMLE) and a VAE on one decoder at equal steps",
  article: {
    title: "非对抗式生成模型GLANN的简单介绍",
    url: "https://kexue.fm/archives/6394",
    date: "2019-02-26",
  },
  title: "IMLE, GLANN and a VAE on {dataset}",
  summary:
    "The article introduces non-adversarial generators. IMLE (Li & Malik 2018) pulls, for every real " +
    "image, its nearest generated sample towards it, (1/M) Σ_i min_j ‖x_i − G(z_j)‖², so that every real image " +
    "has a sample nearby (no mode collapse) without a discriminator; Su trains it on CelebA-HQ with all pairs " +
    "within a batch of 128 and finds the results 'not even as good as a VAE' (the L2 metric), and a variant " +
    "that also pushes fakes apart looks about the same. GLANN (Hoshen, Li & Malik 2019) first fits GLO, a " +
    "generator with one learned unit-norm code per training image under a perceptual loss, then IMLE in the " +
    "low-dimensional code space, and reports better FIDs than GANs and VAEs. Here all four train the same MLP " +
    "decoder with RMSprop for the same number of steps; GLO's perceptual loss is a Laplacian-pyramid L1 (no " +
    "VGG weights offline).",
  graph,
  variants: VARIANTS,
  // Every method's samples at its snapshots: GLANN's jump once T trains, the repulsion variant's collapse.
  compare: (variants) =>
    Object.fromEntries(variants.map((v) => [
      `grids@${v}`,
      use(snapshotGrids, {
        params: { title: `Samples during training: ${VARIANTS[v as keyof typeof VARIANTS].label}` },
        inputs: { trained: `train@${v}` },
      }),
    ])),
  datasetGraph: { mnist: { records: 8000 }, "fashion-mnist": { records: 60000 } },
  scales: {
    // Four trainings share the budget: an MLP decoder; GLANN spends 2/3 of its steps on GLO.
    small: { graph: { batch: 128, gloSteps: 2000 }, steps: 3000, snapshotEvery: 1000 },
    full: { graph: { batch: 128, gloSteps: 20000 }, steps: 30000, snapshotEvery: 5000 },
  },
  train: { logEvery: 50, checkpointEvery: 500 },
  comparison: {
    rows: [
      { quantity: "IMLE classifier-FID", ours: "{evaluate@imle:final_fid}", reference: null },
      {
        quantity: "IMLE with repulsion classifier-FID",
        ours: "{evaluate@imle-repulsion:final_fid}",
        reference: null,
        note: "article: looks about the same as IMLE",
      },
      { quantity: "GLANN classifier-FID", ours: "{evaluate@glann:final_fid}", reference: null },
      {
        quantity: "VAE classifier-FID",
        ours: "{evaluate@vae:final_fid}",
        reference: null,
        note: "article: IMLE is not even as good as a VAE",
      },
      {
        quantity: "IMLE: nearest training image of a sample",
        ours: "{evaluate@imle:nearest_samples}",
        reference: "{evaluate@imle:nearest_test}",
        source: "the same distance for real test images",
        digits: 3,
      },
      {
        quantity: "GLANN: nearest training image of a sample",
        ours: "{evaluate@glann:nearest_samples}",
        reference: "{evaluate@glann:nearest_test}",
        source: "the same distance for real test images",
        digits: 3,
      },
      { quantity: "batch (M = N)", ours: "{graph@imle.batch}", reference: 128, source: "imle.py" },
      {
        quantity: "iterations",
        ours: "{train@imle.steps}",
        reference: null,
        note: "GLANN: {graph@glann.gloSteps} of GLO, then T",
      },
      {
        quantity: "data",
        ours: "{dataset} 28×28",
        reference: "CelebA-HQ 128×128",
        note: "the GLANN paper: MNIST, Fashion, CIFAR-10, CelebA",
      },
    ],
    note:
      "The article shows samples, not numbers; the GLANN paper's FIDs are Inception FIDs of convolutional " +
      "models trained for long. Ours are classifier-FIDs of one MLP decoder after minutes on two CPU cores, so " +
      "only the orderings compare. The learning rate is 10⁻³ for every method (imle.py: 10⁻⁴, for far longer " +
      "runs).",
  },
  claims: [
    ...generatorClaims("IMLE trains a generator without a discriminator", 0.25, "evaluate@imle"),
    {
      id: "imle-worse-than-vae",
      claim: "IMLE's samples are not even as good as a VAE's: its classifier-FID is above the VAE's.",
      ours: fid("imle"),
      reference: {
        value: fid("vae"),
        source: "a VAE with the same decoder, same steps (article: 'not as good')",
      },
      check: { kind: "above" },
    },
    {
      id: "repulsion-about-the-same",
      claim: "The repulsion variant looks about the same as IMLE: classifier-FID within 25% of IMLE's.",
      ours: fid("imle-repulsion"),
      reference: { value: fid("imle"), source: "IMLE, same decoder and steps" },
      check: { kind: "near", rel: 0.25 },
      differs:
        "the margin m = 0.1 (on the per-value squared distance) is ours: the article gives none; Su's " +
        "model is a DCGAN on CelebA-HQ 128², ours an MLP on 28×28 images",
    },
    {
      id: "glann-better-than-imle",
      claim: "GLANN (GLO + IMLE in latent space) beats plain IMLE in pixel space: a lower classifier-FID.",
      ours: fid("glann"),
      reference: { value: fid("imle"), source: "IMLE, same decoder and steps (the GLANN paper's point)" },
      check: { kind: "below" },
    },
    {
      id: "glann-vs-vae",
      claim: "GLANN's classifier-FID is no worse than the VAE's (the GLANN paper: better than VAEs).",
      ours: fid("glann"),
      reference: { value: fid("vae"), source: "a VAE with the same decoder, same steps" },
      check: { kind: "at-most" },
      differs:
        "GLO's perceptual loss is a Laplacian-pyramid L1 here (the paper: VGG features); of the equal " +
        "steps, GLANN spends 2/3 on GLO and 1/3 on T",
    },
    {
      id: "glann-not-memorised",
      claim: "GLANN's samples are new images, not its training images replayed through the learned codes.",
      ours: nearest("glann", "nearest_samples"),
      reference: {
        value: nearest("glann", "nearest_test"),
        source: "pixel distance of real test images to their nearest training image",
      },
      check: { kind: "above", factor: 0.5 },
    },
  ],
});
