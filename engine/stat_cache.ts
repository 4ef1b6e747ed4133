/**
 * A persistent cache of values computed from a file's bytes (its digest, its imports), keyed by the
 * file's stat: size, mtime, ctime and inode. A cached run then costs one stat per file instead of a
 * read and a hash. ctime is part of the key because mtime alone can be reset (tar, cp -p), as Bazel
 * learned (bazel#14723).
 *
 * "Racy" entries (git's term) are not kept: a file whose mtime or ctime is within 2 s of now could be
 * written again within the same timestamp tick without its stat changing (Deno reports ctime in whole
 * seconds), so it is hashed again next time rather than trusted. The store applies the same rule to
 * the stats of its objects (store.ts).
 *
 * The cache file is checked as it is used: a file that is not a JSON object is dropped, and an entry of
 * the wrong shape (its value checked by the schema the owner gives) is a miss, rebuilt by hashing. A
 * cache that cannot be saved (a full disk, a read-only store) costs a re-hash next time, nothing else.
 *
 * @module
 */
import type { z } from "zod";
import { isStoreWriteError } from "./fs_errors.ts";
import { statEntrySchema } from "./store_schema.ts";

const RACY_WINDOW_MS = 2000;

/** Whether a file with `stat` may still change without its stat changing (see the module doc). */
export function isRacy(stat: StatKey, now: number = Date.now()): boolean {
  return now - Math.max(stat.mtimeMs, stat.ctimeMs) <= RACY_WINDOW_MS;
}

/** The part of a file's stat that the cache compares. */
export interface StatKey {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export function statKey(info: Deno.FileInfo): StatKey {
  return {
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? 0,
    ctimeMs: info.ctime?.getTime() ?? 0,
    ino: info.ino ?? 0,
  };
}

export function sameStat(a: StatKey, b: StatKey): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

type Entry<V> = StatKey & { value: V };

/** Values by absolute path, valid while the file's stat is unchanged. Loaded on first use. */
export class StatCache<V> {
  readonly #path: string | undefined;
  readonly #now: () => number;
  readonly #entrySchema: z.ZodType<Entry<V>> | undefined;
  #entries: Record<string, Entry<V>> | undefined;
  /** Entries already checked against the schema. */
  readonly #checked = new Set<string>();
  #dirty = false;

  /**
   * @param path where the cache persists (omit for a cache in memory only)
   * @param options.now the clock of the racy rule (tests move it forward)
   * @param options.value the schema of a cached value: an entry that fails it is a miss
   */
  constructor(path?: string, options: { now?: () => number; value?: z.ZodType<V> } = {}) {
    this.#path = path;
    this.#now = options.now ?? Date.now;
    this.#entrySchema = options.value ? statEntrySchema(options.value) as z.ZodType<Entry<V>> : undefined;
  }

  #load(): Record<string, Entry<V>> {
    if (this.#entries) return this.#entries;
    this.#entries = Object.create(null) as Record<string, Entry<V>>;
    if (this.#path) {
      try {
        const data: unknown = JSON.parse(Deno.readTextFileSync(this.#path));
        // Anything but a plain object (null, 42, a list) is dropped whole and rebuilt.
        if (data !== null && typeof data === "object" && !Array.isArray(data)) {
          Object.assign(this.#entries, data);
        } else this.#dirty = true;
      } catch {
        // missing or unreadable: rebuilt as files are hashed
      }
    }
    return this.#entries;
  }

  /** The value cached for `path` if the file's stat is still `stat`. */
  get(path: string, stat: StatKey): V | undefined {
    const entries = this.#load();
    const entry = entries[path];
    if (entry === undefined) return undefined;
    if (this.#entrySchema && !this.#checked.has(path)) {
      if (!this.#entrySchema.safeParse(entry).success) {
        delete entries[path]; // the wrong shape: hashed again and replaced
        this.#dirty = true;
        return undefined;
      }
      this.#checked.add(path);
    }
    return sameStat(entry, stat) ? entry.value : undefined;
  }

  /** Caches `value` for `path` at `stat`, unless the file is racy (then any old entry is dropped). */
  set(path: string, stat: StatKey, value: V): void {
    const entries = this.#load();
    if (!isRacy(stat, this.#now())) {
      entries[path] = { ...stat, value };
      this.#checked.add(path);
      this.#dirty = true;
    } else if (entries[path]) {
      delete entries[path];
      this.#dirty = true;
    }
  }

  /**
   * Re-checks every entry (`deno task verify`): one whose file still has the cached stat is computed
   * again with `recompute`; when the value differs (the file changed without its stat changing: bit
   * rot, or a tool that restores times) the entry is stale. Stale entries, entries of the wrong shape
   * and entries of files that are gone or changed are dropped; the caller saves. Returns what it found.
   */
  audit(
    recompute: (path: string) => V,
    same: (a: V, b: V) => boolean,
  ): { checked: number; stale: string[]; dropped: number } {
    const entries = this.#load();
    const report = { checked: 0, stale: [] as string[], dropped: 0 };
    for (const path of Object.keys(entries)) {
      let stat: StatKey | null = null;
      try {
        stat = statKey(Deno.statSync(path));
      } catch {
        // gone
      }
      const cached = stat ? this.get(path, stat) : undefined; // also checks the entry's shape
      if (cached === undefined) {
        if (entries[path]) delete entries[path];
        report.dropped++;
        this.#dirty = true;
        continue;
      }
      report.checked++;
      let now: V | undefined;
      try {
        now = recompute(path);
      } catch {
        // unreadable now: drop it, the next use reports the real problem
      }
      if (now === undefined || !same(cached, now)) {
        delete entries[path];
        report.stale.push(path);
        this.#dirty = true;
      }
    }
    return report;
  }

  /**
   * Writes the cache back if it changed (temp file + rename, so readers never see half of it). A cache
   * that cannot be written (a full disk, a read-only store) is not saved: it is only a cache.
   */
  save(): void {
    if (!this.#path || !this.#dirty) return;
    const tmp = `${this.#path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      Deno.writeTextFileSync(tmp, JSON.stringify(this.#entries));
      Deno.renameSync(tmp, this.#path);
      this.#dirty = false;
    } catch (error) {
      try {
        Deno.removeSync(tmp);
      } catch {
        // never created
      }
      if (!isStoreWriteError(error)) throw error;
    }
  }
}
