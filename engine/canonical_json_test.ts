import assert from "node:assert/strict";
import { canonicalJson } from "./canonical_json.ts";

Deno.test("canonicalJson() sorts keys at every depth and drops undefined", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [1, 2], c: "x" }, u: undefined }),
    '{"a":{"c":"x","d":[1,2]},"b":1}',
  );
});

Deno.test("canonicalJson() spells numbers one way", () => {
  assert.equal(canonicalJson([1e-4, 0.0001, -0, 1.5e21, 2]), "[0.0001,0.0001,0,1.5e+21,2]");
});

Deno.test("canonicalJson() rejects values it cannot represent faithfully", () => {
  assert.throws(() => canonicalJson({ lr: NaN }), /Cannot hash NaN at \$\.lr/);
  assert.throws(() => canonicalJson({ when: new Date(0) }), /Cannot hash a Date object at \$\.when/);
  assert.throws(() => canonicalJson({ f: () => 1 }), /Cannot hash a function at \$\.f/);
});
