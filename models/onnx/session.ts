/**
 * Opening onnxruntime-node sessions with the options that measured best on CPU
 * (onnx-training.md §2.4 and §8.6), choosing the execution provider, and running a model with plain
 * typed arrays.
 *
 * CUDA needs the provider libraries `libonnxruntime_providers_cuda.so` and
 * `libonnxruntime_providers_shared.so` next to onnxruntime-node's bundled `libonnxruntime.so.1`;
 * `deno task setup-cuda` places them (see setup_cuda.ts). Asking for cuda without them fails with a
 * message that says so; so does a machine where they are present but CUDA itself cannot load.
 *
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import type { DType, TypedArray } from "./dtype.ts";
import { blockSizeProbeModel, rewriteForNchwc } from "./nchwc.ts";

/** Execution providers this project supports. */
export type ExecutionProvider = "cpu" | "cuda";

/** Options of {@link createSession}. */
export interface SessionOptions {
  /** Providers in order of preference; default `["cpu"]`. */
  executionProviders?: readonly ExecutionProvider[];
  /** Intra-op threads; default: the number of cores. */
  intraOpNumThreads?: number;
  /**
   * Let idle worker threads spin (lower latency for one busy session). Turn off for sessions that sit
   * idle next to a busy one (eval, sampling): many spinning pools slowed training by 20–35% (§2.4).
   */
  allowSpinning?: boolean;
  /** ORT log level; default "error". */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * Turn on onnxruntime's profiler: each session writes `<prefix>_<date>.json` (Chrome-trace events, see
   * profile.ts) when `endProfiling()` is called on it. For benchmarks (`deno task bench onnx --profile`).
   */
  profileFilePrefix?: string;
  /**
   * Run convolutions with dynamic filters on onnxruntime's NCHWc kernels (nchwc.ts; CPU only, default
   * true). Off gives the plain Conv/ConvTranspose kernels, e.g. to compare them.
   */
  nchwc?: boolean;
}

/** The provider libraries CUDA needs beside `libonnxruntime.so.1`. */
export const CUDA_PROVIDER_LIBS = [
  "libonnxruntime_providers_shared.so",
  "libonnxruntime_providers_cuda.so",
] as const;

/** Folder holding onnxruntime-node's bundled `libonnxruntime.so.1` for this platform. */
export function onnxruntimeLibDir(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve("onnxruntime-node");
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "x64";
  const platform = Deno.build.os === "windows" ? "win32" : Deno.build.os;
  return join(dirname(entry), "..", "bin", "napi-v6", platform, arch);
}

/** Which CUDA provider libraries are missing beside `libonnxruntime.so.1` (empty: all present). */
export function missingCudaLibs(dir = onnxruntimeLibDir()): string[] {
  return CUDA_PROVIDER_LIBS.filter((name) => {
    try {
      return !Deno.statSync(join(dir, name)).isFile;
    } catch {
      return true;
    }
  });
}

/** Raised when the CUDA execution provider was asked for but cannot be used. */
export class CudaUnavailableError extends Error {
  override name = "CudaUnavailableError";
}

function cudaSetupMessage(missing: readonly string[], dir: string): string {
  return `CUDA execution provider requested, but ${missing.join(" and ")} ${
    missing.length > 1 ? "are" : "is"
  } missing from ${dir}. Run \`deno task setup-cuda\` to place the provider libraries ` +
    `(onnxruntime 1.29.0 for CUDA 13), or use executionProviders: ["cpu"].`;
}

/** Lists shared libraries the CUDA provider cannot find (via ldd), to say what part of CUDA is missing. */
function unresolvedCudaDeps(dir: string): string[] {
  try {
    const out = new Deno.Command("ldd", {
      args: [join(dir, "libonnxruntime_providers_cuda.so")],
      stderr: "null",
    })
      .outputSync();
    return new TextDecoder().decode(out.stdout).split("\n")
      .filter((l) => l.includes("not found"))
      .map((l) => l.trim().split(" ")[0]!)
      .filter((l) => l !== "");
  } catch {
    return [];
  }
}

/** The session options that measured best (graph optimisation 'all', sequential, one inter-op thread). */
export function sessionOptions(opts: SessionOptions = {}): ort.InferenceSession.SessionOptions {
  const providers = opts.executionProviders ?? ["cpu"];
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [...providers],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: opts.intraOpNumThreads ?? navigator.hardwareConcurrency,
    interOpNumThreads: 1,
    enableCpuMemArena: true,
    enableMemPattern: true,
    logSeverityLevel: opts.logSeverityLevel ?? 3,
  };
  if (opts.profileFilePrefix !== undefined) {
    options.enableProfiling = true;
    options.profileFilePrefix = opts.profileFilePrefix;
  }
  if (opts.allowSpinning === false) {
    options.extra = { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } };
  }
  return options;
}

/** Throws {@link CudaUnavailableError}, saying to run `deno task setup-cuda`, when the provider libraries are missing. */
export function checkCudaProviderLibs(dir = onnxruntimeLibDir()): void {
  const missing = missingCudaLibs(dir);
  if (missing.length > 0) throw new CudaUnavailableError(cudaSetupMessage(missing, dir));
}

let blockSize: Promise<number> | undefined;

/**
 * The NCHWc block size of this machine's onnxruntime CPU kernels (16 with AVX-512, 8 with AVX2), or 0
 * when the build has no NCHWc kernels. Measured once per process with a one-node probe model.
 */
export function nchwcBlockSize(): Promise<number> {
  blockSize ??= (async () => {
    try {
      const s = await ort.InferenceSession.create(blockSizeProbeModel(), { logSeverityLevel: 3 });
      const out = await s.run({ x: new ort.Tensor("float32", new Float32Array(4), [1, 4, 1, 1]) });
      await s.release();
      return Number(out.y!.dims[1]);
    } catch {
      return 0;
    }
  })();
  return blockSize;
}

/**
 * Opens an inference session on model bytes. For `cuda`, checks first that the provider libraries are
 * in place and throws {@link CudaUnavailableError} with the fix when they are not, or when CUDA itself
 * cannot be loaded.
 */
export async function createSession(
  model: Uint8Array,
  opts: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const providers = opts.executionProviders ?? ["cpu"];
  const wantsCuda = providers.includes("cuda");
  if (wantsCuda) checkCudaProviderLibs();
  // Convolutions with dynamic filters go to the NCHWc kernels on CPU (nchwc.ts): 1.3–2.4× faster.
  const bytes = !wantsCuda && opts.nchwc !== false ? rewriteForNchwc(model, await nchwcBlockSize()) : model;
  try {
    return await ort.InferenceSession.create(bytes, sessionOptions(opts));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (wantsCuda && /cuda|provider|shared library/i.test(msg)) {
      const deps = unresolvedCudaDeps(onnxruntimeLibDir());
      throw new CudaUnavailableError(
        `The CUDA provider libraries are in place, but CUDA itself failed to load` +
          (deps.length ? ` (not found: ${deps.join(", ")})` : "") +
          `. Install an NVIDIA driver and the CUDA 13 runtime with cuBLAS/cuDNN, or use ` +
          `executionProviders: ["cpu"]. onnxruntime said: ${msg}`,
      );
    }
    throw err;
  }
}

/** A host tensor: typed array plus dims. */
export interface HostTensor {
  data: TypedArray;
  dims: readonly number[];
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = {
  float32: "float32",
  float64: "float64",
  int32: "int32",
  int64: "int64",
  uint32: "uint32",
  uint64: "uint64",
  bool: "bool",
};

/** Wraps host data as an ORT tensor (zero-copy for inputs). */
export function toOrt(dtype: DType, data: TypedArray, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[dtype], data as never, dims);
}

/** The element type of a typed array, as a {@link DType}. */
export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof Uint32Array) return "uint32";
  if (data instanceof BigUint64Array) return "uint64";
  return "bool";
}

/**
 * Runs a session on named host tensors and returns the named outputs as host tensors.
 * Feeds that are bare typed arrays take their dims from the session's input metadata.
 */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Readonly<Record<string, HostTensor | TypedArray>>,
): Promise<Record<string, HostTensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  const meta = new Map(session.inputMetadata.map((m) => [m.name, m]));
  for (const [name, value] of Object.entries(feeds)) {
    const m = meta.get(name);
    if (!m) {
      throw new Error(
        `feed '${name}' is not an input of the model; inputs are: ${session.inputNames.join(", ")}`,
      );
    }
    const host = ArrayBuffer.isView(value)
      ? { data: value as TypedArray, dims: undefined }
      : value as HostTensor;
    const dims = host.dims ?? (m.isTensor ? (m.shape as number[]) : []);
    ortFeeds[name] = toOrt(dtypeOf(host.data), host.data, dims);
  }
  const missing = session.inputNames.filter((n) => !(n in ortFeeds));
  if (missing.length) throw new Error(`missing feeds for model inputs: ${missing.join(", ")}`);
  const results = await session.run(ortFeeds);
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(results)) out[name] = { data: t.data as TypedArray, dims: t.dims };
  return out;
}
