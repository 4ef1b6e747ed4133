/**
 * Packs everything bench/gpu_check.sh needs on a GPU machine that has no network, no Node and no Deno
 * (only an NVIDIA driver and PyTorch), into pieces of at most 64 MiB (what such a machine receives):
 *
 * ```
 * OUT/bundle.tgz.000 …     a gzipped tar, cut in pieces of --piece-mib MiB (default 60)
 * OUT/SHA256SUMS           each piece's sha256 (sha256sum --check format)
 * OUT/BUNDLE.sha256        the sha256 of the whole, checked after reassembly
 * OUT/gpu_check.sh         the entry point there: checks, reassembles, installs and runs the check
 * ```
 *
 * The tar holds `bin/deno` (this Deno), `repo/` (the project's files, tracked and new), `deno_dir/`
 * and `repo/node_modules/` (the npm packages the check imports, installed here with
 * `deno install --entrypoint bench/gpu_check.ts` into a fresh DENO_DIR seeded from this machine's
 * cache, then pruned of other platforms' binaries; the two share files as hard links, which tar
 * stores once), and `cuda/` (onnxruntime's CUDA provider libraries, fetched and checked as
 * `deno task setup-cuda` does).
 *
 * Run: `deno run -A bench/gpu_pack.ts OUT [--piece-mib 60] [--no-cuda]`
 *
 * @module
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { setupCuda } from "../models/onnx/setup_cuda.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The bare imports of bench/gpu_check.ts and models/onnx/. */
const CHECK_IMPORTS = ["onnxruntime-node", "onnx-proto"];

async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
) {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", ...options }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** The project's files: tracked ones and new ones git does not ignore. */
async function projectFiles(): Promise<string[]> {
  const text = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
  });
  const files: string[] = [];
  for (const f of text.split("\0").filter(Boolean)) {
    try {
      if (Deno.statSync(`${ROOT}/${f}`).isFile) files.push(f); // deleted but still tracked: skip
    } catch {
      // gone
    }
  }
  return files;
}

/** Removes what a Linux x86-64 machine never loads: other platforms' native binaries. */
async function pruneForeignBinaries(dir: string): Promise<void> {
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      const path = `${d}/${e.name}`;
      if (!e.isDirectory) continue;
      if (/\/bin\/napi-v\d+$/.test(path)) {
        for await (const platform of Deno.readDir(path)) {
          if (platform.name !== "linux") await Deno.remove(`${path}/${platform.name}`, { recursive: true });
          else {
            for await (const arch of Deno.readDir(`${path}/linux`)) {
              if (arch.name !== "x64") await Deno.remove(`${path}/linux/${arch.name}`, { recursive: true });
            }
          }
        }
        continue;
      }
      await walk(path);
    }
  };
  await walk(dir);
}

/** Keeps in the npm cache only the package versions that node_modules/.deno holds. */
async function pruneNpmCache(npmDir: string, nodeModules: string): Promise<void> {
  const installed = new Set<string>();
  for await (const e of Deno.readDir(`${nodeModules}/.deno`)) {
    // `@scope+name@1.2.3` or `name@1.2.3_peer@…`
    const m = /^(.+?)@(\d[^_]*)/.exec(e.name);
    if (m) installed.add(`${m[1]!.replace("+", "/")}@${m[2]}`);
  }
  const registry = `${npmDir}/registry.npmjs.org`;
  const names: string[] = [];
  for await (const e of Deno.readDir(registry)) {
    if (!e.isDirectory) continue;
    if (e.name.startsWith("@")) {
      for await (const s of Deno.readDir(`${registry}/${e.name}`)) {
        if (s.isDirectory) names.push(`${e.name}/${s.name}`);
      }
    } else names.push(e.name);
  }
  for (const name of names) {
    let kept = 0;
    for await (const v of Deno.readDir(`${registry}/${name}`)) {
      if (!v.isDirectory) continue;
      if (installed.has(`${name}@${v.name}`)) kept++;
      else await Deno.remove(`${registry}/${name}/${v.name}`, { recursive: true });
    }
    if (kept === 0) await Deno.remove(`${registry}/${name}`, { recursive: true });
  }
}

/** Streams `tar | gzip` of `dir` into pieces of `pieceBytes`; returns the pieces' and the whole's sha256. */
async function packPieces(dir: string, out: string, pieceBytes: number) {
  const tar = new Deno.Command("sh", {
    args: ["-c", 'tar -C "$1" --numeric-owner -cf - . | gzip -1', "sh", dir],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(tar.stderr).text();
  const whole = createHash("sha256");
  const pieces: { name: string; sha256: string; size: number }[] = [];
  let file: Deno.FsFile | null = null;
  let hash = createHash("sha256");
  let size = 0;
  const close = () => {
    if (!file) return;
    file.close();
    pieces.at(-1)!.sha256 = hash.digest("hex");
    pieces.at(-1)!.size = size;
    file = null;
  };
  for await (let chunk of tar.stdout) {
    whole.update(chunk);
    while (chunk.length > 0) {
      if (!file) {
        const name = `bundle.tgz.${String(pieces.length).padStart(3, "0")}`;
        file = await Deno.open(`${out}/${name}`, { write: true, create: true, truncate: true });
        pieces.push({ name, sha256: "", size: 0 });
        hash = createHash("sha256");
        size = 0;
      }
      const take = chunk.subarray(0, pieceBytes - size);
      for (let done = 0; done < take.length;) done += await file.write(take.subarray(done));
      hash.update(take);
      size += take.length;
      chunk = chunk.subarray(take.length);
      if (size === pieceBytes) close();
    }
  }
  close();
  const status = await tar.status;
  if (!status.success) throw new Error(`tar | gzip failed: ${await stderr}`);
  return { pieces, sha256: whole.digest("hex") };
}

export async function packBundle(
  out: string,
  options: { pieceMiB?: number; cuda?: boolean; log?: (s: string) => void } = {},
): Promise<{ pieces: { name: string; sha256: string; size: number }[]; sha256: string }> {
  const log = options.log ?? console.log;
  const pieceMiB = options.pieceMiB ?? 60;
  if (!(pieceMiB > 0 && pieceMiB <= 64)) throw new Error(`--piece-mib must be in (0, 64], got ${pieceMiB}`);
  await Deno.mkdir(out, { recursive: true });
  for await (const e of Deno.readDir(out)) {
    if (/^bundle\.tgz\.\d+$|^SHA256SUMS$|^BUNDLE\.sha256$|^gpu_check\.sh$/.test(e.name)) {
      await Deno.remove(`${out}/${e.name}`);
    }
  }
  const stage = await Deno.makeTempDir({ prefix: "gpu-bundle-" });
  try {
    await Deno.mkdir(`${stage}/bin`);
    await Deno.copyFile(Deno.execPath(), `${stage}/bin/deno`);
    await Deno.chmod(`${stage}/bin/deno`, 0o755);
    const files = await projectFiles();
    for (const f of files) {
      const target = `${stage}/repo/${f}`;
      await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
      await Deno.copyFile(`${ROOT}/${f}`, target);
    }
    log(`repo: ${files.length} files`);
    // Only the npm packages the check imports (models/onnx: onnxruntime-node, onnx-proto), at the
    // project's versions: the rest (DuckDB, Arrow, Plot…) would triple the bundle for nothing.
    const config = JSON.parse(await Deno.readTextFile(`${stage}/repo/deno.json`));
    config.imports = Object.fromEntries(CHECK_IMPORTS.map((name) => [name, config.imports[name]]));
    await Deno.writeTextFile(`${stage}/repo/deno.json`, JSON.stringify(config, null, 2) + "\n");
    // The npm packages: a fresh DENO_DIR seeded with the packages of this machine's npm cache that the
    // check needs (so nothing is downloaded that is already here), installed for its entry point.
    const info = JSON.parse(
      await run(Deno.execPath(), ["info", "--json", "bench/gpu_check.ts"], { cwd: `${stage}/repo` }),
    );
    const registry = `${info.denoDir}/npm/registry.npmjs.org`;
    for (const id of Object.keys(info.npmPackages ?? {})) {
      const m = /^(@?[^@]+)@([^_]+)/.exec(id);
      if (!m) continue;
      const [, name, version] = m;
      await Deno.mkdir(`${stage}/deno_dir/npm/registry.npmjs.org/${name}`, { recursive: true });
      for (const part of [version!, "registry.json"]) {
        await run("cp", [
          "-a",
          `${registry}/${name}/${part}`,
          `${stage}/deno_dir/npm/registry.npmjs.org/${name}/`,
        ])
          .catch(() => {}); // not cached here: deno install downloads it
      }
    }
    await run(Deno.execPath(), ["install", "--quiet", "--entrypoint", "bench/gpu_check.ts"], {
      cwd: `${stage}/repo`,
      env: { DENO_DIR: `${stage}/deno_dir`, DENO_NO_UPDATE_CHECK: "1" },
    });
    await pruneNpmCache(`${stage}/deno_dir/npm`, `${stage}/repo/node_modules`);
    await pruneForeignBinaries(`${stage}/deno_dir/npm`);
    await pruneForeignBinaries(`${stage}/repo/node_modules`);
    // Dev-time caches of this machine (type checks, lint): not needed there.
    for await (const e of Deno.readDir(`${stage}/deno_dir`)) {
      if (e.name !== "npm") await Deno.remove(`${stage}/deno_dir/${e.name}`, { recursive: true });
    }
    if (options.cuda ?? true) {
      await Deno.mkdir(`${stage}/cuda`);
      await setupCuda(`${stage}/cuda`, log);
    }
    log(`packing into pieces of ${pieceMiB} MiB…`);
    const packed = await packPieces(stage, out, Math.floor(pieceMiB * 1024 * 1024));
    await Deno.writeTextFile(
      `${out}/SHA256SUMS`,
      packed.pieces.map((p) => `${p.sha256}  ${p.name}\n`).join(""),
    );
    await Deno.writeTextFile(`${out}/BUNDLE.sha256`, `${packed.sha256}  bundle.tgz\n`);
    await Deno.copyFile(`${ROOT}/bench/gpu_check.sh`, `${out}/gpu_check.sh`);
    return packed;
  } finally {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { "piece-mib": { type: "string" }, "no-cuda": { type: "boolean" } },
  });
  if (positionals.length !== 1) {
    console.error("Usage: deno run -A bench/gpu_pack.ts OUT [--piece-mib 60] [--no-cuda]");
    Deno.exit(2);
  }
  const out = positionals[0]!;
  const packed = await packBundle(out, {
    pieceMiB: values["piece-mib"] ? Number(values["piece-mib"]) : 60,
    cuda: !values["no-cuda"],
  });
  const total = packed.pieces.reduce((a, p) => a + p.size, 0);
  console.log(
    `${out}: ${packed.pieces.length} pieces, ${(total / 2 ** 20).toFixed(0)} MiB in all (sha256 ${
      packed.sha256.slice(0, 12)
    }…)`,
  );
  console.log(`copy the folder to the GPU machine and run there: bash gpu_check.sh`);
}
