/**
 * What can be tested of the GPU check without a GPU: the tolerance rule, the packing into pieces and
 * their reassembly (a real bundle, checked and unpacked by gpu_check.sh, whose CPU half then runs
 * offline from it), damaged and mixed pieces, and the "no GPU" failure of both the shell script and the
 * Deno script. The CUDA half itself needs an NVIDIA GPU (README: "A GPU check").
 */
import assert from "node:assert/strict";
import { compareTrajectories, TOLERANCE } from "./gpu_check.ts";
import { packBundle } from "./gpu_pack.ts";

const SCRIPT = new URL("./gpu_check.sh", import.meta.url).pathname;
const CHECK = new URL("./gpu_check.ts", import.meta.url).pathname;

Deno.test("the tolerance: float32-level differences pass, a wrong step does not", () => {
  const cpu = { loss: [2.3, 2.1, 1.9], wdist: [0.01, -0.02, 0.03] };
  assert.ok(compareTrajectories(cpu, cpu).every((m) => m.ok));
  const close = { loss: cpu.loss.map((v) => v * (1 + 5e-4)), wdist: cpu.wdist.map((v) => v + 1e-6) };
  assert.ok(compareTrajectories(cpu, close).every((m) => m.ok));
  const off = { loss: [2.3, 2.1, 1.9 * (1 + 3 * TOLERANCE.rtol)], wdist: cpu.wdist };
  const [loss] = compareTrajectories(cpu, off);
  assert.equal(loss!.ok, false);
  assert.equal(loss!.worstStep, 2);
  assert.equal(compareTrajectories(cpu, { loss: [2.3, NaN, 1.9], wdist: cpu.wdist })[0]!.ok, false);
  assert.equal(
    compareTrajectories(cpu, { loss: [2.3], wdist: cpu.wdist })[0]!.ok,
    false,
    "a short trajectory",
  );
  // Zero tolerance (two CPU runs must be bit-identical): equal passes, anything else fails.
  const exact = { rtol: 0, atol: 0 };
  assert.ok(compareTrajectories(cpu, cpu, exact).every((m) => m.ok));
  assert.equal(compareTrajectories(cpu, close, exact)[0]!.ok, false);
});

Deno.test("the GPU check's bundle: pieces of at most the limit, reassembled, checked, run offline", async (t) => {
  const out = await Deno.makeTempDir({ prefix: "gpu-bundle-test-" });
  const work = await Deno.makeTempDir({ prefix: "gpu-work-test-" });
  const sh = async (args: string[], env: Record<string, string> = {}) => {
    const o = await new Deno.Command("bash", {
      args: [`${out}/gpu_check.sh`, ...args],
      env: { REPRO_GPU_WORK: `${work}/w`, ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
  };
  try {
    const packed = await packBundle(out, { pieceMiB: 16, cuda: false, log: () => {} });
    await t.step("pack: every piece within the limit, listed with its sha256", async () => {
      assert.ok(packed.pieces.length >= 2, "a bundle of several pieces");
      for (const p of packed.pieces) {
        const size = (await Deno.stat(`${out}/${p.name}`)).size;
        assert.ok(size <= 16 * 2 ** 20, `${p.name}: ${size} bytes`);
      }
      const sums = await Deno.readTextFile(`${out}/SHA256SUMS`);
      assert.equal(sums.trim().split("\n").length, packed.pieces.length);
      assert.equal(await Deno.readTextFile(`${out}/gpu_check.sh`), await Deno.readTextFile(SCRIPT));
    });

    await t.step("there: the pieces are checked and reassembled, and the CPU half runs offline", async () => {
      const r = await sh(["--cpu-only", "--", "--steps", "2", "--timing", "0", "--no-torch"], {
        // Nothing from this machine: only what the bundle brings (its Deno, its npm cache).
        PATH: "/usr/bin:/bin",
        DENO_DIR: "/nonexistent",
      });
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`${packed.pieces.length} pieces checked and unpacked`));
      assert.match(r.out, /ok: the CPU half ran; two CPU runs are bit-identical/);
      const result = JSON.parse(await Deno.readTextFile(`${work}/w/results/cpu_only.json`));
      assert.equal(result.results.length, 2);
    });

    await t.step(
      "a damaged piece, or pieces of another bundle, are found before anything is unpacked",
      async () => {
        const victim = `${out}/${packed.pieces[1]!.name}`;
        const bytes = await Deno.readFile(victim);
        bytes[1000] = bytes[1000]! ^ 0xff;
        await Deno.writeFile(victim, bytes);
        const damaged = await sh(["--cpu-only"]);
        assert.equal(damaged.code, 4, damaged.out);
        assert.match(damaged.out, new RegExp(`${packed.pieces[1]!.name}: FAILED`));
        assert.match(damaged.out, /damaged or missing: transfer them again/);
        bytes[1000] = bytes[1000]! ^ 0xff;
        await Deno.writeFile(victim, bytes);
        // Listed sums that agree with swapped pieces: only the whole's sha256 can tell.
        const [a, b] = [packed.pieces[0]!.name, packed.pieces[1]!.name];
        await Deno.rename(`${out}/${a}`, `${out}/x`);
        await Deno.rename(`${out}/${b}`, `${out}/${a}`);
        await Deno.rename(`${out}/x`, `${out}/${b}`);
        const sums = await Deno.readTextFile(`${out}/SHA256SUMS`);
        await Deno.writeTextFile(
          `${out}/SHA256SUMS`,
          sums.replace(` ${a}\n`, ` TMP\n`).replace(` ${b}\n`, ` ${a}\n`).replace(` TMP\n`, ` ${b}\n`),
        );
        const mixed = await sh(["--cpu-only"]);
        assert.equal(mixed.code, 4, mixed.out);
        assert.match(mixed.out, /the reassembled bundle has sha256 \w+, not \w+/);
      },
    );

    await t.step("without a GPU, the script stops at once and says so", async () => {
      const r = await sh([], { PATH: "/usr/bin:/bin" });
      assert.equal(r.code, 3, r.out);
      assert.match(r.out, /no NVIDIA GPU: nvidia-smi is not installed \(no NVIDIA driver\).*--cpu-only/);
    });
  } finally {
    await Deno.remove(out, { recursive: true }).catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
});

Deno.test("gpu_check.ts without a GPU runs the CPU half, then fails naming what is missing", async () => {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHECK, "--steps", "2", "--timing", "1", "--no-torch"],
    env: { PATH: "/usr/bin:/bin" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
  assert.equal(o.code, 3, text);
  assert.match(text, /\| WGAN-div DCGAN step, batch 64\s+\| \d/);
  assert.match(
    text,
    /No usable NVIDIA GPU: nvidia-smi is not installed \(no NVIDIA driver\)\. The CPU half ran/,
  );
});
