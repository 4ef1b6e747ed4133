import assert from "node:assert/strict";
import { emitModel } from "./emit.ts";
import { input } from "./graph.ts";
import { relu } from "./ops_elementwise.ts";
import {
  checkCudaProviderLibs,
  createSession,
  CudaUnavailableError,
  missingCudaLibs,
  onnxruntimeLibDir,
  runSession,
  sessionOptions,
} from "./session.ts";

const model = () => emitModel({ name: "relu", outputs: { y: relu(input("x", "float32", [3])) } });

Deno.test("session options are the ones that measured best (onnx-training.md §2.4)", () => {
  const o = sessionOptions({ intraOpNumThreads: 2 });
  assert.equal(o.graphOptimizationLevel, "all");
  assert.equal(o.executionMode, "sequential");
  assert.equal(o.intraOpNumThreads, 2);
  assert.equal(o.interOpNumThreads, 1);
  assert.equal(o.enableMemPattern, true);
  assert.deepEqual(o.executionProviders, ["cpu"]);
  assert.deepEqual(sessionOptions({ allowSpinning: false }).extra, {
    session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } },
  });
});

Deno.test("the provider-library check names the missing files and says to run deno task setup-cuda", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(missingCudaLibs(dir), [
      "libonnxruntime_providers_shared.so",
      "libonnxruntime_providers_cuda.so",
    ]);
    assert.throws(() => checkCudaProviderLibs(dir), (err: unknown) => {
      assert.ok(err instanceof CudaUnavailableError);
      assert.match(
        err.message,
        /libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so are missing/,
      );
      assert.match(err.message, /Run `deno task setup-cuda`/);
      return true;
    });
    await Deno.writeFile(`${dir}/libonnxruntime_providers_shared.so`, new Uint8Array(1));
    await Deno.writeFile(`${dir}/libonnxruntime_providers_cuda.so`, new Uint8Array(1));
    checkCudaProviderLibs(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("asking for cuda on this machine either works or fails with a message that says what to do", async () => {
  const libsPlaced = missingCudaLibs().length === 0;
  try {
    const s = await createSession(model(), { executionProviders: ["cuda"] });
    // A machine with a GPU and CUDA: the session must compute correctly.
    const y = await runSession(s, { x: new Float32Array([-1, 0, 2]) });
    assert.deepEqual(Array.from(y.y!.data as Float32Array), [0, 0, 2]);
  } catch (err) {
    assert.ok(err instanceof CudaUnavailableError, String(err));
    if (libsPlaced) {
      assert.match(err.message, /provider libraries are in place, but CUDA itself failed to load/);
    } else assert.match(err.message, /deno task setup-cuda/);
    assert.ok(err.message.includes(onnxruntimeLibDir()) || libsPlaced);
  }
});

Deno.test("runSession checks feed names", async () => {
  const s = await createSession(model());
  await assert.rejects(
    () => runSession(s, { z: new Float32Array(3) }),
    /feed 'z' is not an input of the model; inputs are: x/,
  );
  await assert.rejects(() => runSession(s, {}), /missing feeds for model inputs: x/);
  const out = await runSession(s, { x: new Float32Array([-2, 3, -4]) });
  assert.deepEqual(Array.from(out.y!.data as Float32Array), [0, 3, 0]);
});
