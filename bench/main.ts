/**
 * `deno task bench [AREA…] [--FLAG…]`: runs each area's benchmark (bench/<area>.ts) in its own process,
 * one after another, so that their timings do not disturb each other (the areas: AREAS below).
 * Arguments starting with `--` are passed on to every area's script, e.g. `deno task bench onnx --profile`
 * (onnxruntime's profiler tables instead of the timings).
 *
 * @module
 */
const AREAS = [
  "engine",
  "data",
  "onnx",
  "wgan_div",
  "linalg",
  "workflow",
  "numeric",
  "scaleout",
  "density",
  "optim",
  "gan",
  "iresnet",
  "latent",
  "flows",
  "fid_budget",
];
const flags = Deno.args.filter((a) => a.startsWith("--"));
const areas = Deno.args.filter((a) => !a.startsWith("--"));
const wanted = areas.length ? areas.map((a) => a.replaceAll("-", "_")) : AREAS;
const unknown = wanted.filter((a) => !AREAS.includes(a));
if (unknown.length) {
  console.error(
    `Unknown bench area ${unknown.join(", ")}; areas: ${AREAS.map((a) => a.replaceAll("_", "-")).join(", ")}`,
  );
  Deno.exit(2);
}
let failures = 0;
for (const area of wanted) {
  const file = new URL(`./${area}.ts`, import.meta.url).pathname;
  console.log(`\n=== ${area.replaceAll("_", "-")} ===`);
  const { code } = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", "--quiet", file, ...flags] })
    .spawn()
    .status;
  if (code !== 0) {
    console.error(`bench ${area} failed with exit code ${code}`);
    failures++;
  }
}
Deno.exit(failures ? 1 : 0);
