import assert from "node:assert/strict";
import { requireInstalled } from "../../tests/_require.ts";
import { browserCheck, DEFAULT_CHROMIUM } from "./browser_check.ts";
import { buildSamplePage } from "./_sample_page.ts";

const hasChromium = await Deno.stat(DEFAULT_CHROMIUM).then(() => true, () => false);

/** Temp profile folders of ours that exist now, and processes still using one. */
/**
 * The Chromium profile folders and processes under `tmp`. Each test gives browserCheck a TMPDIR of its
 * own, so that other runs on the machine (other tests, other checkouts) do not count.
 */
async function leftovers(tmp: string): Promise<{ dirs: string[]; processes: string[] }> {
  const dirs: string[] = [];
  for await (const e of Deno.readDir(tmp)) if (e.name.startsWith("browser-check-")) dirs.push(e.name);
  const processes: string[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    if (cmdline.includes(`--user-data-dir=${tmp}/browser-check-`)) processes.push(e.name);
  }
  return { dirs: dirs.sort(), processes };
}

/** Runs `body` with TMPDIR set to a fresh folder (browserCheck's profiles go there), then restores it. */
async function withOwnTmp<T>(body: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = await Deno.makeTempDir({ prefix: "browser-check-test-" });
  const old = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", tmp);
  try {
    return await body(tmp);
  } finally {
    if (old === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", old);
    await Deno.remove(tmp, { recursive: true });
  }
}

Deno.test({
  name: "browserCheck() sees the sample report's plots, images, tables and no errors in Chromium",
  async fn() {
    requireInstalled(hasChromium, "chromium", "Chromium");
    const dir = await Deno.makeTempDir({ prefix: "report-sample-" });
    try {
      const path = `${dir}/index.html`;
      await Deno.writeTextFile(path, await buildSamplePage());
      const { seen, left } = await withOwnTmp(async (tmp) => {
        const seen = await browserCheck(path, {
          screenshotPath: `${dir}/page.png`,
          viewport: { width: 1000, height: 800 },
        });
        return { seen, left: await leftovers(tmp) };
      });
      assert.equal(seen.title, "WGAN-div on MNIST");
      assert.deepEqual(seen.plots.map((p) => p.label), [
        "Critic and generator loss",
        "Classifier-FID during training",
        "Critic output on real images",
      ]);
      for (const plot of seen.plots) {
        assert.ok(plot.rendered, `${plot.label}: ${JSON.stringify(plot)}`);
        assert.ok(plot.width >= 600 && plot.height >= 300, `${plot.label} is ${plot.width}×${plot.height}`);
      }
      assert.equal(seen.plots[0]!.marks, 4); // two raw + two smoothed lines
      assert.equal(seen.plots[1]!.marks, 2);
      assert.ok(seen.plots[2]!.marks > 30); // histogram bars + pdf line
      assert.deepEqual(seen.images.map((i) => [i.loaded, i.naturalWidth, i.naturalHeight]), [
        [true, 8 * 56 + 9 * 2, 8 * 56 + 9 * 2], // 8×8 grid of 2× digits with 2 px gutters
        [true, 8 * 60 + 9 * 2, 2 * 60 + 3 * 2], // 2 rows of bordered digits
      ]);
      assert.deepEqual(seen.consoleErrors, []);
      assert.deepEqual(seen.failedRequests, []);
      assert.equal(seen.overflowsHorizontally, false);
      assert.deepEqual(seen.headings, [
        "WGAN-div on MNIST",
        "Setup",
        "Training",
        "Samples",
        "Comparison with the article",
        "What was run",
      ]);
      const shot = await Deno.readFile(`${dir}/page.png`);
      assert.deepEqual([...shot.subarray(1, 4)], [80, 78, 71]); // "PNG"
      assert.equal(new DataView(shot.buffer).getUint32(16), 1000);
      assert.deepEqual(
        left,
        { dirs: [], processes: [] },
        "Chromium processes or profile folders were left behind",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "browserCheck() reports console errors, exceptions, broken images, failed loads and empty charts",
  async fn() {
    requireInstalled(hasChromium, "chromium", "Chromium");
    const dir = await Deno.makeTempDir({ prefix: "report-broken-" });
    try {
      const path = `${dir}/broken page.html`;
      await Deno.writeTextFile(
        path,
        `<!doctype html><html><head><title>Broken</title></head><body>
<h1>Broken</h1>
<svg width="200" height="100" aria-label="empty"><g aria-label="x-axis tick"><path d="M0,0L10,0" stroke="black"/></g></svg>
<svg width="0" height="0" aria-label="zero"><circle cx="5" cy="5" r="5"/></svg>
<svg width="100" height="100" aria-label="ok"><g aria-label="dot"><circle cx="50" cy="50" r="5"/></g></svg>
<img src="missing.png" alt="missing">
<div style="width: 3000px">wide</div>
<script>console.error("boom", 42); throw new Error("uncaught here");</script>
</body></html>`,
      );
      const seen = await browserCheck(path, { viewport: { width: 800, height: 600 } });
      assert.equal(seen.title, "Broken");
      assert.deepEqual(seen.plots.map((p) => [p.label, p.rendered]), [["empty", false], ["zero", false], [
        "ok",
        true,
      ]]);
      assert.equal(seen.plots[0]!.marks, 0);
      assert.deepEqual(seen.images.map((i) => [i.alt, i.loaded]), [["missing", false]]);
      assert.ok(seen.consoleErrors.some((e) => e === "boom 42"), JSON.stringify(seen.consoleErrors));
      assert.ok(
        seen.consoleErrors.some((e) => e.includes("uncaught here")),
        JSON.stringify(seen.consoleErrors),
      );
      assert.equal(seen.failedRequests.length, 1, JSON.stringify(seen.failedRequests));
      assert.match(seen.failedRequests[0]!, /missing\.png: net::ERR_FILE_NOT_FOUND/);
      assert.equal(seen.overflowsHorizontally, true);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("browserCheck() names a missing page or a missing Chromium", async () => {
  await assert.rejects(
    () => browserCheck("/nonexistent/page.html"),
    /Cannot check \/nonexistent\/page.html in a browser: the file does not exist/,
  );
  const page = await Deno.makeTempFile({ suffix: ".html" });
  try {
    await assert.rejects(
      () => browserCheck(page, { chromium: "/nonexistent/chromium" }),
      /no Chromium at \/nonexistent\/chromium; install it \(apt-get install chromium\)/,
    );
  } finally {
    await Deno.remove(page);
  }
});
