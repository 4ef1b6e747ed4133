import assert from "node:assert/strict";
import { escapeHtml, markup, raw, SafeHtml } from "./markup.ts";

Deno.test("escapeHtml() escapes the five special characters", () => {
  assert.equal(
    escapeHtml(`<a href="x">Tom & Jerry's</a>`),
    "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;",
  );
  assert.equal(escapeHtml("plain 1.5e-3"), "plain 1.5e-3");
});

Deno.test("markup`` escapes interpolations and keeps SafeHtml", () => {
  const attack = `"><script>alert(1)</script>`;
  const out = markup`<a title="${attack}">${attack}</a>${raw("<br>")}`;
  assert.ok(out instanceof SafeHtml);
  assert.equal(
    String(out),
    `<a title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</a><br>`,
  );
});

Deno.test("markup`` flattens nested arrays and renders nothing for null, undefined and booleans", () => {
  const rows = [["a", 1], ["<b>", 2]] as const;
  const out = markup`<table>${rows.map(([k, v]) => markup`<tr><td>${k}</td><td>${v}</td></tr>`)}</table>`;
  assert.equal(
    String(out),
    "<table><tr><td>a</td><td>1</td></tr><tr><td>&lt;b&gt;</td><td>2</td></tr></table>",
  );
  assert.equal(
    String(markup`${null}${undefined}${false}${true}${[[markup`<i>x</i>`, "&"]]}${0}`),
    "<i>x</i>&amp;0",
  );
});
