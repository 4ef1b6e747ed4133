import assert from "node:assert/strict";
import { decode } from "fast-png";
import { callout, facts, figure, figureRow, image, prose, table } from "./blocks.ts";
import { markup } from "./markup.ts";
import { encodePng } from "./png.ts";

Deno.test("prose() escapes text and splits paragraphs at blank lines", () => {
  assert.equal(String(prose("a < b\n\n  second  \n")), "<p>a &lt; b</p><p>second</p>");
  assert.equal(String(prose(markup`<em>${"x&y"}</em>`)), "<p><em>x&amp;y</em></p>");
});

Deno.test("table() formats numbers, aligns numeric columns and escapes text", () => {
  const rows = [
    { step: 1000, fid: 12.345, name: "<b>", at: new Date("2025-11-22T00:57:00Z"), ok: true },
    { step: 2000, fid: null, name: "x", at: null, ok: false },
  ];
  const out = String(table(rows, {
    caption: "Per checkpoint",
    columns: ["step", { key: "fid", label: "classifier-FID", digits: 1, unit: "pts" }, "name", "at", "ok"],
  }));
  assert.match(out, /<caption>Per checkpoint<\/caption>/);
  assert.match(
    out,
    /<th scope="col" class="num">step<\/th><th scope="col" class="num">classifier-FID<\/th><th scope="col">name<\/th>/,
  );
  assert.match(
    out,
    /<td class="num">1,000<\/td><td class="num">12.3 pts<\/td><td>&lt;b&gt;<\/td><td>2025-11-22 00:57 UTC<\/td><td>yes<\/td>/,
  );
  assert.match(out, /<td class="num">2,000<\/td><td class="num">—<\/td><td>x<\/td><td>—<\/td><td>no<\/td>/);
});

Deno.test("table() takes columns from the first row, custom formats, and says when it is empty", () => {
  const out = String(
    table([{ a: 1, b: "x" }], { columns: ["a", { key: "b", format: (v) => markup`<i>${v}</i>` }] }),
  );
  assert.match(out, /<td class="num">1<\/td><td><i>x<\/i><\/td>/);
  assert.match(
    String(table([{ k: 0.5 }])),
    /<th scope="col" class="num">k<\/th>.*<td class="num">0.5<\/td>/s,
  );
  assert.equal(
    String(table([], { caption: "Runs", empty: "No runs yet." })),
    '<p class="muted small">Runs: No runs yet.</p>',
  );
});

Deno.test("image() inlines the PNG as a data: URI that decodes to the same pixels", async () => {
  const pixels = Uint8Array.from({ length: 6 * 4 }, (_, i) => i * 10);
  const png = await encodePng({ width: 6, height: 4, channels: 1, pixels });
  const out = String(image(png, { alt: 'grid "a"', caption: "Samples", width: 12 }));
  assert.match(out, /width="12" height="8" alt="grid &quot;a&quot;" style="image-rendering: pixelated;"/);
  assert.match(out, /<figcaption>Samples<\/figcaption>/);
  const base64 = /src="data:image\/png;base64,([^"]+)"/.exec(out)![1]!;
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  assert.deepEqual(bytes, png);
  assert.deepEqual(new Uint8Array(decode(bytes).data), pixels);
});

Deno.test("figure() inlines SVG only, figureRow(), callout() and facts() compose", () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>';
  assert.equal(
    String(figure(svg, { caption: "c" })),
    `<figure class="plot">${svg}<figcaption>c</figcaption></figure>`,
  );
  assert.throws(() => figure("<img src=x>"), /expected SVG text starting with <svg/);
  assert.equal(String(figureRow(markup`<a>`, markup`<b>`)), '<div class="figure-row"><a><b></div>');
  assert.equal(
    String(callout("FID is classifier-FID", { kind: "warning" })),
    '<div class="callout warning"><span class="label">Caveat.</span>FID is classifier-FID</div>',
  );
  assert.equal(
    String(facts({ steps: 2000, data: "<mnist>" })),
    '<dl class="facts"><dt>steps</dt><dd>2,000</dd><dt>data</dt><dd>&lt;mnist&gt;</dd></dl>',
  );
});
