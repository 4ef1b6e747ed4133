/**
 * A pipeline name resolves only inside pipelines/: loading a pipeline imports (runs) its module, so no
 * name may reach a file elsewhere. Running a module elsewhere takes an explicit `--file`.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("a name that walks out of pipelines/ is refused without being imported", async () => {
  const dir = await Deno.makeTempDir({ prefix: "names-" });
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  for (
    const name of ["../../etc/passwd", "/etc/passwd", "../engine/cli.ts", "..", "pipelines/../deno.json"]
  ) {
    const r = await cli(store, ["run", name]);
    assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /is not a pipeline in .*pipelines\/|Unknown pipeline/, name);
    assert.doesNotMatch(
      r.stdout + r.stderr,
      /root:|Uncaught|^\s+at /m,
      `${name}: nothing of the file is shown`,
    );
  }
  const r = await cli(store, ["run", "../../etc/passwd"]);
  assert.match(r.stderr, /to run a module elsewhere, pass it with --file PATH/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a module outside the project runs only with --file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "names-" });
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  const marker = `${dir}/it-ran`;
  const module = `${dir}/not_a_pipeline.ts`;
  await Deno.writeTextFile(
    module,
    `Deno.writeTextFileSync(${JSON.stringify(marker)}, "top-level code ran");\n`,
  );
  const refused = await cli(store, ["run", module]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /is not a pipeline in .*pipelines\/.*--file PATH/);
  assert.equal(await exists(marker), false, "its code did not run");
  const explicit = await cli(store, ["run", "--file", module]);
  assert.equal(explicit.code, 2, explicit.stderr);
  assert.match(explicit.stderr, /does not export 'pipeline'/);
  assert.equal(await exists(marker), true, "asked for explicitly, it is imported");
  const both = await cli(store, ["run", "gillespie", "--file", module]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /Expected no pipeline name with --file/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a path to a module inside pipelines/ still names that pipeline", async () => {
  const dir = await Deno.makeTempDir({ prefix: "names-" });
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  const root = new URL("..", import.meta.url).pathname;
  for (const name of ["gillespie", `${root}pipelines/gillespie/pipeline.ts`]) {
    const r = await cli(store, ["run", name, "--dry-run"]);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, /^gillespie · param set /, name);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("status takes --file too, for a module outside pipelines/", async () => {
  const { makeToyProject } = await import("./_toy_project.ts");
  const p = await makeToyProject();
  const r = await cli(p, ["status", "--file", p.pipeline]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^toy · param set \w+ · never run/m);
  const refused = await cli(p, ["status", p.pipeline]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--file PATH/);
});
