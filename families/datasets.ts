/**
 * The image datasets a family pipeline can train on (`--set dataset=…`), with what the family needs
 * to know before the data stage runs: the source stage kind, a display name and the image shape.
 *
 * @module
 */
import type { StageKind } from "../engine/stage.ts";
import { FASHION_MNIST_IMAGE_SHAPE, fashionMnistStage } from "../stages/data/sources/fashion_mnist.ts";
import { MNIST_IMAGE_SHAPE, mnistStage } from "../stages/data/sources/mnist.ts";

export interface ImageDatasetSource {
  stage: StageKind;
  /** As shown in reports, e.g. "Fashion-MNIST". */
  label: string;
  /** [C, H, W]: the layout the models take. */
  shape: readonly [number, number, number];
}

const chw = ([h, w, c]: readonly [number, number, number]) => [c, h, w] as const;

export const IMAGE_DATASETS = {
  mnist: { stage: mnistStage as StageKind, label: "MNIST", shape: chw(MNIST_IMAGE_SHAPE) },
  "fashion-mnist": {
    stage: fashionMnistStage as StageKind,
    label: "Fashion-MNIST",
    shape: chw(FASHION_MNIST_IMAGE_SHAPE),
  },
} satisfies Record<string, ImageDatasetSource>;

export type ImageDatasetName = keyof typeof IMAGE_DATASETS;
export const IMAGE_DATASET_NAMES = Object.keys(IMAGE_DATASETS) as [ImageDatasetName, ...ImageDatasetName[]];
