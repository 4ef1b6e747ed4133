import assert from "node:assert/strict";
import { renderComparison } from "./comparison.ts";

Deno.test("renderComparison() shows ours, the article's and the signed difference", () => {
  const out = String(renderComparison({
    rows: [
      { quantity: "FID", ours: 12.7, reference: 15.4, digits: 1, lowerIsBetter: true, source: "Table 2" },
      { quantity: "IS", ours: 8, reference: 10, lowerIsBetter: false, note: "classifier IS" },
      { quantity: "best p", ours: "6", reference: "6" },
      { quantity: "KL", ours: 0.2, reference: null, unit: "nats" },
    ],
    note: "MNIST vs CelebA.",
  }));
  assert.match(
    out,
    /<th scope="row">FID<\/th><td class="num">12.7<\/td><td class="num">15.4<\/td><td class="num"><span class="delta-better">-2.7 \(-18%\)<\/span><\/td><td class="small"><span class="muted">Table 2<\/span><\/td>/,
  );
  assert.match(out, /<span class="delta-worse">-2 \(-20%\)<\/span>/);
  assert.match(
    out,
    /<th scope="row">best p<\/th><td class="num">6<\/td><td class="num">6<\/td><td class="num">—<\/td>/,
  );
  assert.match(out, /<td class="num">0.2 nats<\/td><td class="num">—<\/td><td class="num">—<\/td>/);
  assert.match(out, /<p>MNIST vs CelebA.<\/p>$/);
});

Deno.test("renderComparison() requires a note on what differs", () => {
  assert.throws(
    () => renderComparison({ rows: [], note: "  " }),
    /give a note saying what differs from the article's setup/,
  );
});
