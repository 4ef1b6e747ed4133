/**
 * `deno task setup-cuda`: places the onnxruntime CUDA provider libraries next to onnxruntime-node's
 * bundled `libonnxruntime.so.1`, so that sessions can use `executionProviders: ["cuda"]`.
 *
 * onnxruntime-node 1.29.0 ships without them and its postinstall would fetch them from NuGet, which is
 * unreachable here (onnx-training.md §6). The npm package `com.github.asus4.onnxruntime.linux-x64-gpu`
 * 0.4.9 carries the matching ORT 1.29.0 builds (CUDA 13) under `Plugins/Linux/x64/`. This script
 * streams its tarball from the npm registry, checks the registry's sha512 integrity, and extracts only
 * `libonnxruntime_providers_cuda.so` and `libonnxruntime_providers_shared.so`.
 *
 * Usage: `deno task setup-cuda [--force] [--remove]`. The CUDA runtime itself (driver, CUDA 13, cuBLAS,
 * cuDNN) must come from the system; the script lists what the provider library cannot find.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { CUDA_PROVIDER_LIBS, missingCudaLibs, onnxruntimeLibDir } from "./session.ts";

/** The npm package and version that carry the provider libraries. */
export const CUDA_PACKAGE = { name: "com.github.asus4.onnxruntime.linux-x64-gpu", version: "0.4.9" } as const;
const MEMBER_DIR = "Plugins/Linux/x64/";

/** One file of a tar archive. */
export interface TarEntry {
  path: string;
  type: string;
  data: Uint8Array;
}

function field(block: Uint8Array, start: number, length: number): string {
  const bytes = block.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * Streams the entries of a (decompressed) tar archive. `want(path)` says which entries' data to keep;
 * skipped data is never buffered. Handles ustar prefixes, GNU long names and pax `path` records.
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
  want: (path: string) => boolean,
): AsyncGenerator<TarEntry> {
  const reader = stream.getReader();
  let buf = new Uint8Array(0);
  let done = false;
  const fill = async (n: number): Promise<boolean> => {
    while (buf.length < n && !done) {
      const r = await reader.read();
      if (r.done) done = true;
      else {
        const next = new Uint8Array(buf.length + r.value.length);
        next.set(buf);
        next.set(r.value, buf.length);
        buf = next;
      }
    }
    return buf.length >= n;
  };
  const take = async (n: number, keep: boolean): Promise<Uint8Array> => {
    const out = keep ? new Uint8Array(n) : new Uint8Array(0);
    let got = 0;
    while (got < n) {
      if (!(await fill(1))) throw new Error("tar: archive ends inside an entry");
      const k = Math.min(n - got, buf.length);
      if (keep) out.set(buf.subarray(0, k), got);
      buf = buf.subarray(k);
      got += k;
    }
    return out;
  };
  let longName: string | null = null;
  while (await fill(512)) {
    const header = await take(512, true);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156]!) || "0";
    const prefix = field(header, 345, 155);
    let path = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = null;
    const padded = Math.ceil(size / 512) * 512;
    if (type === "L" || type === "x") {
      const meta = await take(padded, true);
      const text = new TextDecoder().decode(meta.subarray(0, size));
      if (type === "L") longName = text.replace(/\0+$/, "");
      else {
        const m = text.match(/\d+ path=([^\n]*)\n/);
        if (m) longName = m[1]!;
      }
      continue;
    }
    path = path.replace(/^\.\//, "");
    const keep = want(path);
    const data = await take(size, keep);
    await take(padded - size, false);
    if (keep) yield { path, type, data };
  }
  reader.releaseLock();
}

async function packument(): Promise<{ tarball: string; integrity: string }> {
  const registry = (Deno.env.get("NPM_CONFIG_REGISTRY") ?? "https://registry.npmjs.org").replace(/\/$/, "");
  const url = `${registry}/${CUDA_PACKAGE.name}/${CUDA_PACKAGE.version}`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot read ${url}: HTTP ${res.status}`);
  const meta = await res.json() as { dist?: { tarball?: string; integrity?: string } };
  if (!meta.dist?.tarball || !meta.dist.integrity?.startsWith("sha512-")) {
    throw new Error(`${url} has no tarball with a sha512 integrity`);
  }
  return { tarball: meta.dist.tarball, integrity: meta.dist.integrity };
}

/** Lists the shared libraries that `lib` needs but the dynamic loader cannot find. */
export function unresolvedDeps(lib: string): string[] {
  try {
    const out = new Deno.Command("ldd", { args: [lib], stderr: "null" }).outputSync();
    return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.includes("not found"))
      .map((l) => l.trim().split(" ")[0]!);
  } catch {
    return [];
  }
}

/** Downloads and places the two provider libraries into `dir` (default: beside libonnxruntime.so.1). */
export async function setupCuda(
  dir = onnxruntimeLibDir(),
  log: (s: string) => void = console.log,
): Promise<void> {
  const { tarball, integrity } = await packument();
  log(`fetching ${tarball}`);
  const res = await fetch(tarball);
  if (!res.ok || !res.body) throw new Error(`cannot download ${tarball}: HTTP ${res.status}`);
  const total = Number(res.headers.get("content-length") ?? 0);
  const hash = createHash("sha512");
  let seen = 0;
  let reported = 0;
  const counted = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctrl) {
        hash.update(chunk);
        seen += chunk.length;
        if (seen - reported > 25e6) {
          reported = seen;
          log(`  ${(seen / 1e6).toFixed(0)} MB${total ? ` of ${(total / 1e6).toFixed(0)} MB` : ""}`);
        }
        ctrl.enqueue(chunk);
      },
    }),
  );
  const wanted = new Set(CUDA_PROVIDER_LIBS.map((l) => MEMBER_DIR + l));
  const found = new Map<string, Uint8Array>();
  const tar = counted.pipeThrough(
    new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  for await (const entry of readTar(tar, (p) => [...wanted].some((w) => p.endsWith(w)))) {
    found.set(entry.path.slice(entry.path.lastIndexOf("/") + 1), entry.data);
  }
  const digest = "sha512-" + hash.digest("base64");
  if (digest !== integrity) throw new Error(`integrity check failed: expected ${integrity}, got ${digest}`);
  for (const lib of CUDA_PROVIDER_LIBS) {
    const data = found.get(lib);
    if (!data) throw new Error(`${CUDA_PACKAGE.name}@${CUDA_PACKAGE.version} has no ${MEMBER_DIR}${lib}`);
    const target = join(dir, lib);
    await Deno.writeFile(`${target}.tmp`, data, { mode: 0o755 });
    await Deno.rename(`${target}.tmp`, target);
    log(`placed ${target} (${(data.length / 1e6).toFixed(1)} MB)`);
  }
}

if (import.meta.main) {
  const args = new Set(Deno.args);
  const dir = onnxruntimeLibDir();
  if (args.has("--remove")) {
    for (const lib of CUDA_PROVIDER_LIBS) await Deno.remove(join(dir, lib)).catch(() => {});
    console.log(`removed the CUDA provider libraries from ${dir}`);
    Deno.exit(0);
  }
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    console.error(`setup-cuda supports linux x86_64 only (this is ${Deno.build.os} ${Deno.build.arch})`);
    Deno.exit(1);
  }
  if (missingCudaLibs(dir).length === 0 && !args.has("--force")) {
    console.log(`the CUDA provider libraries are already in ${dir} (--force to fetch them again)`);
  } else {
    await setupCuda(dir);
  }
  const deps = unresolvedDeps(join(dir, "libonnxruntime_providers_cuda.so"));
  if (deps.length) {
    console.log(
      `note: this machine lacks ${deps.join(", ")}; CUDA sessions need an NVIDIA driver and the CUDA 13 ` +
        `runtime with cuBLAS and cuDNN 9 on the library path`,
    );
  } else {
    console.log("all shared libraries of the CUDA provider resolve on this machine");
  }
}
