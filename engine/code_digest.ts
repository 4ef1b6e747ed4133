/**
 * The code digest of a stage: its module and every local module it imports, transitively.
 *
 * Editing `models/onnx/gan.ts` therefore reruns every stage whose module imports it, directly or not,
 * and nothing else. Each file is hashed after normalisation (source_normalize.ts), so comment and
 * whitespace edits do not count. Packages imported by bare specifier (`onnxruntime-node`) are not
 * hashed; their resolved versions from deno.json go into the key's runtime part instead.
 *
 * Hashing every file on every run would cost milliseconds per file; a stat cache keyed by
 * (size, mtime, ctime, inode) skips unchanged files. ctime is included because mtime alone can be
 * reset (tar, cp -p), as Bazel learned (bazel#14723).
 *
 * @module
 */
import { canonicalJson } from "./canonical_json.ts";
import { sha256Hex } from "./hash.ts";
import { normalizeSource } from "./source_normalize.ts";
import { StatCache, type StatKey, statKey } from "./stat_cache.ts";
import { relative } from "node:path";
import { z } from "zod";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface CodeFile {
  /** Path relative to the project root (or absolute when outside it). */
  path: string;
  digest: string;
}

export interface CodeDigest {
  digest: string;
  files: CodeFile[];
  /** Bare imports resolved through deno.json, e.g. `{"onnxruntime-node": "npm:onnxruntime-node@1.29.0"}`. */
  packages: Record<string, string>;
}

/** What the stat cache keeps per code file. */
interface HashedFile {
  digest: string;
  imports: string[];
}

const hashedFileSchema: z.ZodType<HashedFile> = z.object({
  digest: z.string(),
  imports: z.array(z.string()),
});

/** Computes code digests of module closures, with a persistent stat cache. */
export class CodeHasher {
  readonly #root: string;
  readonly #importMap: Record<string, string>;
  readonly #cache: StatCache<HashedFile>;
  readonly #memo = new Map<string, CodeDigest>();
  /** Files whose mtime is later than `loadedAt`: the code that was imported may not be what was hashed. */
  readonly changedSinceLoad = new Set<string>();
  readonly #loadedAt: number;
  readonly #exclude: readonly string[];

  /**
   * @param root project root (folder of deno.json); paths are reported relative to it
   * @param options.cachePath where to persist the stat cache (omit for none)
   * @param options.loadedAt epoch ms before the modules were imported (default: process start)
   * @param options.now the clock of the stat cache's racy rule (tests move it forward)
   * @param options.exclude folders whose modules are not part of any digest (the engine itself: it
   *   decides how a stage runs, not what it computes, so editing it does not invalidate results)
   */
  constructor(
    root: string,
    options: { cachePath?: string; loadedAt?: number; exclude?: readonly string[]; now?: () => number } = {},
  ) {
    this.#root = root;
    this.#exclude = (options.exclude ?? []).map((dir) => dir.replace(/\/?$/, "/"));
    this.#cache = new StatCache(options.cachePath, {
      value: hashedFileSchema,
      ...(options.now ? { now: options.now } : {}),
    });
    this.#loadedAt = options.loadedAt ?? performance.timeOrigin;
    this.#importMap = readImportMap(root);
  }

  /** The digest of the closure of `moduleUrl` (a file: URL, usually a stage's `import.meta.url`). */
  digest(moduleUrl: string): CodeDigest {
    const memo = this.#memo.get(moduleUrl);
    if (memo) return memo;
    const files = new Map<string, string>();
    const packages: Record<string, string> = {};
    const queue = [moduleUrl];
    while (queue.length > 0) {
      const url = queue.pop()!;
      const path = fileURLToPath(url);
      if (files.has(path) || this.#exclude.some((dir) => path.startsWith(dir))) continue;
      const entry = this.#hashFile(path);
      files.set(path, entry.digest);
      for (const spec of entry.imports) {
        if (
          spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("/") || spec.startsWith("file:")
        ) {
          queue.push(new URL(spec, url).href);
        } else if (!spec.startsWith("node:")) {
          const resolved = this.#resolveBare(spec);
          if (resolved.startsWith("file:")) queue.push(resolved);
          else packages[spec] = resolved;
        }
      }
    }
    const list = [...files].map(([path, digest]) => ({ path: this.#display(path), digest }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
    const result = { digest: sha256Hex(canonicalJson({ files: list })), files: list, packages };
    this.#memo.set(moduleUrl, result);
    return result;
  }

  /** Writes the stat cache back if it changed. */
  save(): void {
    this.#cache.save();
  }

  #hashFile(path: string): HashedFile {
    let stat: StatKey;
    try {
      stat = statKey(Deno.statSync(path));
    } catch {
      throw new Error(
        `Cannot hash code file ${this.#display(path)}: it does not exist (imported but missing?)`,
      );
    }
    if (Math.max(stat.mtimeMs, stat.ctimeMs) > this.#loadedAt) this.changedSinceLoad.add(this.#display(path));
    const cached = this.#cache.get(path, stat);
    if (cached) return cached;
    const entry = hashCodeFile(path);
    this.#cache.set(path, stat, entry);
    return entry;
  }

  /**
   * Re-hashes every file in the stat cache (`deno task verify`) and drops the entries whose digest is
   * stale, then saves. Returns the stale paths (relative to the root) and how many entries were dropped.
   */
  auditCache(): { checked: number; stale: string[]; dropped: number } {
    const report = this.#cache.audit(hashCodeFile, (a, b) => a.digest === b.digest);
    this.#cache.save();
    return { ...report, stale: report.stale.map((p) => this.#display(p)) };
  }

  #resolveBare(spec: string): string {
    if (spec.startsWith("npm:") || spec.startsWith("jsr:") || spec.startsWith("http")) return spec;
    const exact = this.#importMap[spec];
    if (exact) return exact.startsWith("./") ? pathToFileURL(`${this.#root}/${exact}`).href : exact;
    // "pkg/sub/path" resolves through "pkg" (Deno maps subpaths of npm: entries the same way).
    const base =
      Object.keys(this.#importMap).filter((k) => spec.startsWith(k + "/")).sort((a, b) =>
        b.length - a.length
      )[0];
    if (base) return `${this.#importMap[base]}${spec.slice(base.length)}`;
    throw new Error(`Cannot resolve import '${spec}': add it to "imports" in deno.json`);
  }

  #display(path: string): string {
    const rel = relative(this.#root, path);
    return rel.startsWith("..") ? path : rel;
  }
}

/** A code file's digest (after normalisation, for scripts) and its imports. */
function hashCodeFile(path: string): HashedFile {
  const bytes = Deno.readFileSync(path);
  const isScript = /\.[cm]?[jt]sx?$/.test(path);
  const { text, imports } = isScript
    ? normalizeSource(new TextDecoder().decode(bytes))
    : { text: "", imports: [] };
  return { digest: isScript ? sha256Hex(text) : sha256Hex(bytes), imports };
}

function readImportMap(root: string): Record<string, string> {
  try {
    return JSON.parse(Deno.readTextFileSync(`${root}/deno.json`)).imports ?? {};
  } catch {
    return {};
  }
}
