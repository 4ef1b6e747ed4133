/**
 * ONNX graph builder with reverse-mode autodiff, optimizers and train-step graphs for
 * onnxruntime-node. See README.md in this folder for the design and how-tos.
 *
 * @module
 */
export * from "./dtype.ts";
export * from "./graph.ts";
export * from "./emit.ts";
export * from "./autodiff.ts";
export * from "./ops_elementwise.ts";
export * from "./ops_reduce.ts";
export * from "./ops_shape.ts";
export * from "./ops_linalg.ts";
export * from "./ops_conv.ts";
export * from "./ops_index.ts";
export * from "./ops_nn.ts";
export * from "./rng.ts";
export * from "./init.ts";
export * from "./params.ts";
export * from "./layers.ts";
export * from "./optimizers.ts";
export * from "./train_step.ts";
export * from "./session.ts";
export * from "./profile.ts";
export * from "./runner.ts";
export * from "./export.ts";
export * from "./models/mlp.ts";
export * from "./models/cnn_classifier.ts";
export * from "./models/wgan_div.ts";
