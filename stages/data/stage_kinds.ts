/**
 * Every data stage kind, for registries that list or look up kinds by name.
 *
 * @module
 */
import type { StageKind } from "../../engine/stage.ts";
import { fashionMnistStage } from "./sources/fashion_mnist.ts";
import { idxStage } from "./sources/idx_files.ts";
import { imageFolderStage } from "./sources/image_folder.ts";
import { mnistStage } from "./sources/mnist.ts";
import { sklearnDigitsStage } from "./sources/sklearn_digits.ts";
import { synthetic1dStage } from "./sources/synthetic_1d.ts";
import { toy2dStage } from "./sources/toy_2d.ts";

/** The data stage kinds: data.mnist, data.fashion-mnist, data.idx, data.image-folder, data.sklearn-digits, data.synthetic-1d, data.toy-2d. */
export const dataStageKinds: readonly StageKind[] = [
  mnistStage,
  fashionMnistStage,
  idxStage,
  imageFolderStage,
  sklearnDigitsStage,
  synthetic1dStage,
  toy2dStage,
] as unknown as readonly StageKind[];
