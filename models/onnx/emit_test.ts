import assert from "node:assert/strict";
import pkg from "onnx-proto";
import { emitGraph, emitModel } from "./emit.ts";
import { input, scope } from "./graph.ts";
import { mul, relu } from "./ops_elementwise.ts";
import { gemm } from "./ops_linalg.ts";
import { createSession } from "./session.ts";
import { modelZoo } from "./testing.ts";

const { onnx } = pkg;

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("emission is byte-deterministic across processes", async () => {
  const here = Object.fromEntries(
    await Promise.all(Object.entries(await modelZoo()).map(async ([k, v]) => [k, await sha256(v)] as const)),
  );
  const script = `
    import { modelZoo } from "${new URL("./testing.ts", import.meta.url).href}";
    const zoo = await modelZoo();
    const out = {};
    for (const [k, v] of Object.entries(zoo)) {
      const d = new Uint8Array(await crypto.subtle.digest("SHA-256", v));
      out[k] = Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
    }
    console.log(JSON.stringify(out));`;
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const there = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.deepEqual(there, here);
  assert.ok(Object.keys(here).length >= 14);
});

Deno.test("every emitted model loads in onnxruntime", async () => {
  for (const [name, bytes] of Object.entries(await modelZoo())) {
    const s = await createSession(bytes, { intraOpNumThreads: 1 }).catch((e) => {
      throw new Error(`${name}: ${e}`);
    });
    await s.release();
  }
});

function hasPythonOnnx(): boolean {
  try {
    return new Deno.Command("/usr/bin/python3", { args: ["-c", "import onnx"], stderr: "null" }).outputSync()
      .code === 0;
  } catch {
    return false;
  }
}
const PYTHON_ONNX = hasPythonOnnx();
if (!PYTHON_ONNX) {
  console.warn(
    "emit_test: /usr/bin/python3 with the `onnx` package is missing; the ONNX-checker test is ignored",
  );
}

Deno.test({
  name: "every emitted model passes the official ONNX checker (full check with shape inference)",
  ignore: !PYTHON_ONNX,
  fn: checkAll,
});

async function checkAll() {
  const dir = await Deno.makeTempDir({ prefix: "onnx_checker_" });
  try {
    const zoo = await modelZoo();
    for (const [name, bytes] of Object.entries(zoo)) await Deno.writeFile(`${dir}/${name}`, bytes);
    const script = [
      "import sys, onnx",
      "bad = []",
      "for p in sys.argv[1:]:",
      "    try:",
      "        onnx.checker.check_model(p, full_check=True)",
      "    except Exception as e:",
      "        bad.append(p + ': ' + str(e)[:400])",
      "print('\\n'.join(bad) if bad else 'OK %d' % (len(sys.argv) - 1))",
      "sys.exit(1 if bad else 0)",
    ].join("\n");
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", script, ...Object.keys(zoo).map((n) => `${dir}/${n}`)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    assert.equal(text.trim(), `OK ${Object.keys(zoo).length}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("names are readable layer paths; outputs are named on their producers (no Identity)", () => {
  const x = input("x", "float32", [2, 3]);
  const w = input("critic/fc/W", "float32", [3, 4]);
  const h = scope("critic/fc", () => relu(gemm(x, w)));
  const g = emitGraph({ name: "names", outputs: { h, twice: mul(h, 2), again: h } });
  assert.deepEqual(g.node.map((n) => `${n.opType}:${n.name}`), [
    "Gemm:critic/fc/Gemm",
    "Relu:h",
    "Mul:twice",
    "Identity:again", // the one unavoidable copy: a value output under two names
  ]);
  assert.deepEqual(g.input.map((i) => i.name), ["x", "critic/fc/W"]);
  const model = onnx.ModelProto.decode(emitModel({ name: "names", outputs: { h } }));
  assert.equal(Number(model.irVersion), 8);
  assert.equal(Number(model.opsetImport[0]!.version), 17);
});
