import assert from "node:assert/strict";
import { missingPackages, TEST_PACKAGES } from "./_prerequisites.ts";

Deno.test("the test prerequisites are installed, and a package that is not is reported as missing", async () => {
  assert.deepEqual(await missingPackages(Object.keys(TEST_PACKAGES)), []);
  assert.deepEqual(await missingPackages(["dpkg", "no-such-package-here"]), ["no-such-package-here"]);
});

Deno.test("a CJK font is what the reports' Chinese titles fall back to", async () => {
  const out = await new Deno.Command("fc-match", { args: ["-f", "%{family}", "sans-serif:lang=zh-cn"] })
    .output();
  assert.match(new TextDecoder().decode(out.stdout), /Noto Sans CJK/);
});
