/**
 * Content digests of the files and folders outside the store that a stage reads (its kind's
 * `externalFiles`), for the `files` part of the cache key. Replacing a dataset file at the same path
 * then changes the key, and the stage reruns instead of serving shards made from the old file.
 *
 * - A file's digest is the sha256 of its bytes (what `sha256sum` prints).
 * - A folder's digest is the sha256 of the canonical JSON `{"folder":[[path, digest], …]}` over every
 *   regular file under it, at any depth: paths relative to the folder with "/" separators, sorted by
 *   code point. Hidden files count; empty folders do not. Symbolic links are followed (a link cycle is
 *   walked once).
 *
 * Hashing Fashion-MNIST's 31 MB on every run would add ~30 ms, and a folder of images much more, so a
 * stat cache as in code_digest.ts keyed by (size, mtime, ctime, inode) skips files that did not change:
 * a cached run costs one stat per file (and a directory read per folder). A file whose mtime or ctime
 * is within 2 s of hashing is "racy" (git's term) and is not cached: it could be written again within
 * the same timestamp tick without its stat changing (Deno reports ctime in whole seconds). Unlike
 * code_digest.ts, both times must be old, so that a file copied with its mtime kept (cp -p, tar) is
 * cached only once its ctime is. The cache is read on first use: pipelines without external files never
 * load it.
 *
 * @module
 */
import { resolve } from "node:path";
import { canonicalJson } from "./canonical_json.ts";
import { sha256FileSync, sha256Hex } from "./hash.ts";
import { StatCache, type StatKey, statKey } from "./stat_cache.ts";
import { z } from "zod";

/** Thrown for a declared path that does not exist. */
export class MissingFileError extends Error {
  override name = "MissingFileError";
  constructor(readonly path: string) {
    super(`Cannot hash ${path}: it does not exist`);
  }
}

/** One regular file found under a declared path. */
interface Found {
  /** Path relative to the declared folder ("" for a declared file). */
  relative: string;
  absolute: string;
  stat: StatKey;
}

/** Computes digests of files and folders, with a persistent stat cache. */
export class FileHasher {
  readonly #cache: StatCache<string>;
  /** Absolute declared path → its digest and the stats it was computed from (see `changedSinceHashed`). */
  readonly #memo = new Map<string, { digest: string; fingerprint: string }>();
  /** How many files were read and hashed (the rest came from the stat cache); for tests. */
  filesHashed = 0;

  /**
   * @param options.cachePath where to persist the stat cache (omit for none)
   * @param options.now the clock of the racy rule (tests move it forward)
   */
  constructor(options: { cachePath?: string; now?: () => number } = {}) {
    this.#cache = new StatCache(options.cachePath, {
      value: z.string().regex(/^[0-9a-f]{64}$/),
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /**
   * The digest of the file or folder at `path` (absolute, or relative to the working directory).
   * Throws MissingFileError when nothing exists there.
   */
  digest(path: string): string {
    const absolute = resolve(path);
    const memo = this.#memo.get(absolute);
    if (memo) return memo.digest;
    const { folder, files } = this.#scan(absolute, path);
    const entries = files.map((f) => [f.relative, this.#hashFile(f)] as const);
    const digest = folder ? sha256Hex(canonicalJson({ folder: entries })) : entries[0]![1];
    this.#memo.set(absolute, { digest, fingerprint: fingerprint(files) });
    return digest;
  }

  /**
   * Whether the file or folder at `path`, hashed earlier by this hasher, changed since (a file's stat,
   * or a folder's list of files and their stats); a path that is gone counts as changed. Costs a stat
   * per file, without reading them.
   */
  changedSinceHashed(path: string): boolean {
    const absolute = resolve(path);
    const memo = this.#memo.get(absolute);
    if (!memo) throw new Error(`Cannot check ${path} for changes: it was not hashed`);
    try {
      return fingerprint(this.#scan(absolute, path).files) !== memo.fingerprint;
    } catch (error) {
      if (error instanceof MissingFileError) return true;
      throw error;
    }
  }

  /** Writes the stat cache back if it changed. */
  save(): void {
    this.#cache.save();
  }

  /**
   * Re-hashes every file in the stat cache (`deno task verify`) and drops the entries whose digest is
   * stale (a dataset file changed without its stat changing), then saves.
   */
  auditCache(): { checked: number; stale: string[]; dropped: number } {
    const report = this.#cache.audit(sha256FileSync, (a, b) => a === b);
    this.#cache.save();
    return report;
  }

  /** The regular files at `absolute`: itself, or every file under it, sorted by relative path. */
  #scan(absolute: string, shown: string): { folder: boolean; files: Found[] } {
    let stat: Deno.FileInfo;
    try {
      stat = Deno.statSync(absolute);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw new MissingFileError(shown);
      throw error;
    }
    if (stat.isFile) return { folder: false, files: [{ relative: "", absolute, stat: statKey(stat) }] };
    if (!stat.isDirectory) throw new Error(`Cannot hash ${shown}: it is neither a file nor a folder`);
    const files: Found[] = [];
    const visited = new Set<string>();
    const walk = (dir: string, prefix: string) => {
      const real = Deno.realPathSync(dir);
      if (visited.has(real)) return; // a link back up the tree
      visited.add(real);
      for (const entry of Deno.readDirSync(dir)) {
        const path = `${dir}/${entry.name}`;
        const relative = prefix + entry.name;
        if (entry.isDirectory) {
          walk(path, `${relative}/`);
          continue;
        }
        if (!entry.isFile && !entry.isSymlink) continue; // sockets, FIFOs, devices: no content to hash
        let info: Deno.FileInfo;
        try {
          info = Deno.statSync(path); // follows links
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) continue; // a dangling link, or deleted meanwhile
          throw error;
        }
        if (info.isDirectory) walk(path, `${relative}/`);
        else if (info.isFile) files.push({ relative, absolute: path, stat: statKey(info) });
      }
    };
    walk(absolute, "");
    files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
    return { folder: true, files };
  }

  #hashFile(file: Found): string {
    const cached = this.#cache.get(file.absolute, file.stat);
    if (cached !== undefined) return cached;
    const digest = sha256FileSync(file.absolute);
    this.filesHashed++;
    this.#cache.set(file.absolute, file.stat, digest);
    return digest;
  }
}

function fingerprint(files: Found[]): string {
  return JSON.stringify(
    files.map((f) => [f.relative, f.stat.size, f.stat.mtimeMs, f.stat.ctimeMs, f.stat.ino]),
  );
}
