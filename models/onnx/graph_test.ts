import assert from "node:assert/strict";
import { emitGraph } from "./emit.ts";
import { constant, GraphError, input, scalar, scope } from "./graph.ts";
import { add, mul, tanh } from "./ops_elementwise.ts";

Deno.test("nodes are hash-consed: the same op on the same inputs in the same layer is one node", () => {
  const x = input("x", "float32", [2]);
  assert.equal(input("x", "float32", [2]), x);
  assert.notEqual(input("x", "float32", [3]), x);
  const a = scope("layer", () => tanh(mul(x, 2)));
  const b = scope("layer", () => tanh(mul(x, 2)));
  assert.equal(a, b);
  assert.notEqual(scope("other", () => tanh(mul(x, 2))), a);
  assert.equal(scalar(2, "float32"), constant([2], "float32", []));
  assert.notEqual(constant([2], "float32", [], "named"), constant([2], "float32", [], "named"));
});

Deno.test("scopes nest and an absolute scope replaces the path", () => {
  const x = input("x", "float32", [2]);
  const t = scope("critic", () => scope("conv1", () => [add(x, 1), scope("/generator/fc", () => add(x, 2))]));
  assert.equal(t[0]!.path, "critic/conv1");
  assert.equal(t[1]!.path, "generator/fc");
});

Deno.test("two different inputs with one name are an emission error that names them", () => {
  const a = input("x", "float32", [2]);
  const b = input("x", "float32", [3]);
  assert.throws(
    () => emitGraph({ name: "clash", outputs: { a: tanh(a), b: tanh(b) } }),
    /graph 'clash' has two different inputs named 'x' \(float32\[2\] and float32\[3\]\)/,
  );
});

Deno.test("constants validate their data", () => {
  assert.throws(
    () => constant([1, 2, 3], "float32", [2, 2], "W"),
    /constant 'W': 3 values do not fill shape \[2,2\]/,
  );
  assert.throws(
    () => constant(new Float64Array(2), "float32", [2], "W"),
    /Float64Array, which cannot hold float32/,
  );
  assert.throws(() => input("x", "float32", [2, -1]), GraphError);
});
