import assert from "node:assert/strict";
import { renderIndex } from "./index_page.ts";

const article = { title: "GAN-QP <paper>", url: "https://kexue.fm/archives/6163", date: "2018-11-20" };

Deno.test("renderIndex() has one row per pipeline with link, article, status, headline and end time", () => {
  const page = renderIndex([
    {
      name: "wgan-div",
      description: "WGAN-div on MNIST",
      article,
      status: "ok",
      headline: { label: "classifier-FID", value: 12.345, digits: 1 },
      endedAt: "2025-11-22T00:45:37Z",
    },
    {
      name: "gan-qp",
      description: "GAN-QP",
      article,
      status: "failed",
      error: "train: loss is NaN at step 812",
      endedAt: "2025-11-21T10:00:00Z",
    },
    { name: "glow", description: "Glow", article, status: "never run" },
  ]);
  assert.match(page, /<title>Reproductions<\/title>/);
  assert.match(page, /<p class="byline">3 pipelines · 1 ok · 1 failed · 1 never run<\/p>/);
  const rows = [...page.matchAll(/<tr id="([^"]+)">(.*?)<\/tr>/gs)];
  assert.deepEqual(rows.map((r) => r[1]), ["wgan-div", "gan-qp", "glow"]);
  const [ok, failed, never] = rows.map((r) => r[2]!);
  assert.match(
    ok!,
    /<a href="wgan-div\/index.html">wgan-div<\/a><\/div><div class="small muted">WGAN-div on MNIST<\/div>/,
  );
  assert.match(
    ok!,
    /<a href="https:\/\/kexue.fm\/archives\/6163">GAN-QP &lt;paper&gt;<\/a><div class="muted">2018-11-20<\/div>/,
  );
  assert.match(ok!, /<span class="pill ok">ok<\/span>/);
  assert.match(ok!, /<div class="headline-value">12.3<\/div><div class="small muted">classifier-FID<\/div>/);
  assert.match(ok!, /2025-11-22 00:45 UTC/);
  assert.match(
    failed!,
    /<span class="pill failed">failed<\/span><div class="small muted">train: loss is NaN at step 812<\/div>/,
  );
  assert.match(never!, /<div class="stage-name">glow<\/div>/); // no link: there is no report yet
  assert.match(never!, /<span class="pill never">never run<\/span>/);
  assert.match(never!, /<td class="num"><span class="muted">—<\/span><\/td>/);
});

Deno.test("renderIndex() renders an empty list and a custom title", () => {
  const page = renderIndex([], { title: "My runs", intro: "Local results." });
  assert.match(page, /<h1>My runs<\/h1>/);
  assert.match(page, /<p class="byline">0 pipelines · 0 ok<\/p>/);
  assert.match(page, /No pipelines yet./);
});
