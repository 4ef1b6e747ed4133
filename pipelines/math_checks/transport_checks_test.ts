import assert from "node:assert/strict";
import { fromRows, matrix } from "../../numerics/matrix.ts";
import { optimalTransport } from "../../numerics/optimal_transport.ts";
import {
  cdfDistance,
  cTransform,
  krObjective,
  lipschitzViolation,
  shortestPathMetric,
} from "./transport_checks.ts";

Deno.test("cdfDistance: moving all mass from 0 to 1 costs 1; a half shift costs half", () => {
  assert.equal(cdfDistance([0, 0.5, 1], [1, 0, 0], [0, 0, 1]), 1);
  assert.equal(cdfDistance([0, 0.5, 1], [0.5, 0.5, 0], [0, 0.5, 0.5]), 0.5);
  assert.equal(cdfDistance([0, 1], [0.3, 0.7], [0.3, 0.7]), 0);
});

Deno.test("the c-transform of the LP's g gives a 1-Lipschitz f with ⟨f, p − q⟩ = W for |x − y|, not for (x − y)²", () => {
  const x = [0, 0.25, 0.5, 0.75, 1];
  const p = [0.4, 0.1, 0.1, 0.2, 0.2], q = [0.1, 0.3, 0.3, 0.2, 0.1];
  const metric = matrix(5, 5, x.flatMap((a) => x.map((b) => Math.abs(a - b))));
  const r = optimalTransport(p, q, metric);
  assert.ok(Math.abs(r.cost - cdfDistance(x, p, q)) < 1e-15);
  const f = cTransform(metric, r.g);
  assert.ok(lipschitzViolation(metric, f) <= 1e-16);
  assert.ok(Math.abs(krObjective(f, p, q) - r.cost) < 1e-15);
  const squared = matrix(5, 5, x.flatMap((a) => x.map((b) => (a - b) ** 2)));
  // For |x − y| the shortest-path metric is the cost itself; for (x − y)² hops of 1/4 are cheaper than
  // one jump, and duals (f, −f) reach only the transport cost under those hops: far below W.
  assert.deepEqual(shortestPathMetric(metric).data, metric.data);
  const [from, to] = [[1, 0, 0, 0, 0], [0, 0, 0, 0, 1]];
  assert.equal(optimalTransport(from, to, squared).cost, 1);
  assert.ok(Math.abs(optimalTransport(from, to, shortestPathMetric(squared)).cost - 4 / 16) < 1e-15);
  assert.deepEqual(Array.from(cTransform(fromRows([[0, 1], [1, 0]]), [0, 0])), [0, 0]);
});
