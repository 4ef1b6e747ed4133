import assert from "node:assert/strict";
import { ConfigError, readProjectConfig } from "./project_config.ts";

Deno.test("the config: missing is empty, a good one reads, a secret or a wrong field is refused by name", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config.json`;
  assert.deepEqual(readProjectConfig(path), {});
  const good = {
    remote: "team",
    remotes: {
      team: { url: "s3://lab-cache/repro", endpoint: "https://s3.lab.example.org", pathStyle: true },
    },
    slurm: { partition: "cpu", cpus: 2, memoryMB: 4000, args: ["--account=lab"] },
  };
  await Deno.writeTextFile(path, JSON.stringify(good));
  assert.deepEqual(readProjectConfig(path), good);
  const refused = async (config: unknown, message: RegExp) => {
    await Deno.writeTextFile(path, JSON.stringify(config));
    assert.throws(() => readProjectConfig(path), (e) => e instanceof ConfigError && message.test(e.message));
  };
  await refused(
    { remotes: { team: { url: "s3://b1/x", accessKeyId: "AKIA…" } } },
    /holds 'remotes\.team\.accessKeyId': credentials never go into the config/,
  );
  await refused({ slurm: { password: "x" } }, /holds 'slurm\.password'/);
  await refused(
    { remotes: { team: { url: "https://x" } } },
    /wrong at remotes\.team\.url: expected s3:\/\/bucket/,
  );
  await refused({ slurm: { cpus: 0 } }, /wrong at slurm\.cpus/);
  await refused({ slurm: { cpu: 2 } }, /wrong at/);
  await Deno.writeTextFile(path, "{");
  assert.throws(() => readProjectConfig(path), /is not valid JSON/);
  await Deno.remove(dir, { recursive: true });
});
