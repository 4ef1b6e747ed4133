import assert from "node:assert/strict";
import { figure, prose, table } from "./blocks.ts";
import { renderPage } from "./page.ts";
import { linePlot } from "./svg_plot.ts";

const article = { title: "WGAN-div <explained>", url: "https://kexue.fm/archives/6139", date: "2018-11-07" };

function samplePage(): string {
  return renderPage({
    title: "WGAN-div & friends",
    pipeline: "wgan-div",
    article,
    finishedAt: "2025-11-22T00:45:37Z",
    summary: "Claim one.\n\nClaim two.",
    highlights: [{ label: "classifier-FID", value: 12.345, digits: 1, note: "lower is better" }, {
      label: "covered",
      value: "10 / 10",
    }],
    sections: [
      {
        title: "Training",
        body: [prose("Text."), figure(linePlot([{ name: "loss", x: [0, 1], y: [1, 0.5] }]))],
      },
      { title: "Training", body: table([{ step: 1 }]) },
    ],
    comparison: { rows: [{ quantity: "FID", ours: 12.3, reference: 15.4 }], note: "Different data." },
    provenance: { upstream: [], device: "CPU" },
  });
}

Deno.test("renderPage() lays out header, summary, highlights, sections, comparison and provenance", () => {
  const page = samplePage();
  assert.ok(page.startsWith('<!doctype html>\n<html lang="en">'));
  assert.match(page, /<title>WGAN-div &amp; friends<\/title>/);
  assert.match(page, /<p class="eyebrow">Reproduction · wgan-div<\/p>\n<h1>WGAN-div &amp; friends<\/h1>/);
  assert.match(
    page,
    /Article: <a href="https:\/\/kexue.fm\/archives\/6139">WGAN-div &lt;explained&gt;<\/a><span class="sep">·<\/span>2018-11-07<span class="sep">·<\/span>run finished 2025-11-22 00:45 UTC/,
  );
  assert.match(page, /<p class="label">Summary<\/p><p>Claim one.<\/p><p>Claim two.<\/p>/);
  assert.match(page, /<dt>classifier-FID<\/dt><dd>12.3<\/dd><dd class="note">lower is better<\/dd>/);
  // Repeated titles get distinct anchors, and the contents link to every section.
  assert.match(page, /<section id="training">/);
  assert.match(page, /<section id="training-2">/);
  assert.match(
    page,
    /<a href="#training">Training<\/a><a href="#training-2">Training<\/a><a href="#comparison">Comparison with the article<\/a><a href="#what-was-run">What was run<\/a>/,
  );
  assert.match(page, /<h2>Comparison with the article<\/h2>/);
  assert.match(page, /<h2>What was run<\/h2>/);
});

Deno.test("renderPage() is self-contained and deterministic", () => {
  const page = samplePage();
  assert.doesNotMatch(page, /<script|<link|@import|url\(/i);
  for (const [, url] of page.matchAll(/\s(?:src|href)="([^"]*)"/g)) {
    assert.ok(
      url!.startsWith("#") || url!.startsWith("data:") || url === article.url,
      `external reference ${url}`,
    );
  }
  assert.equal(samplePage(), page);
});

Deno.test("renderPage() needs a title", () => {
  assert.throws(() => renderPage({ title: " ", article, summary: "x" }), /without a title/);
});
