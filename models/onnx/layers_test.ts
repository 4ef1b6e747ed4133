import assert from "node:assert/strict";
import { input, scope } from "./graph.ts";
import { inits } from "./init.ts";
import { conv2dLayer, convTranspose2dLayer, dense } from "./layers.ts";
import { ParamConstants, ParamInputs } from "./params.ts";

Deno.test("layers name their parameters by layer path, with PyTorch layouts", () => {
  const ps = new ParamInputs();
  const x = input("x", "float32", [2, 3, 8, 8]);
  scope("net", () => {
    const h = conv2dLayer(ps, "conv1", x, 4, 3, { pad: 1 });
    const d = convTranspose2dLayer(ps, "deconv", h, 2, 4, { stride: 2, pad: 1, init: inits.normal(0.02) });
    assert.deepEqual(d.shape, [2, 2, 16, 16]);
    dense(ps, "fc", input("f", "float32", [2, 5]), 7, { bias: false });
  });
  assert.deepEqual(ps.specs.map((s) => `${s.name}:[${s.shape}]`), [
    "net/conv1/W:[4,3,3,3]",
    "net/conv1/b:[4]",
    "net/deconv/W:[4,2,4,4]",
    "net/deconv/b:[2]",
    "net/fc/W:[5,7]",
  ]);
  assert.deepEqual(ps.specs[3]!.init, inits.zeros()); // a given weight init makes the default bias zero
});

Deno.test("parameter sources give clear errors", () => {
  const ps = new ParamInputs();
  scope("a", () => dense(ps, "fc", input("x", "float32", [2, 3]), 4));
  assert.throws(
    () => scope("a", () => dense(ps, "fc", input("x", "float32", [2, 5]), 4)),
    /parameter 'a\/fc\/W' was created as \[3,4\] and is now requested as \[5,4\]/,
  );
  const baked = new ParamConstants({ "a/fc/W": new Float32Array(12) });
  assert.throws(
    () => scope("a", () => dense(baked, "fc", input("x", "float32", [2, 3]), 4)),
    /no value for parameter 'a\/fc\/b'; the values hold 1 parameters \(e.g. a\/fc\/W\)/,
  );
  assert.throws(
    () => dense(ps, "fc", input("x", "float32", [2, 3, 4]), 4),
    /dense 'fc': input must be \[N, features\]/,
  );
});
