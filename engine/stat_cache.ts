/**
 * A persistent cache of values computed from a file's bytes (its digest, its imports), keyed by the
 * file's stat: size, mtime, ctime and inode. A cached run then costs one stat per file instead of a
 * read and a hash. ctime is part of the key because mtime alone can be reset (tar, cp -p), as Bazel
 * learned (bazel#14723).
 *
 * "Racy" entries (git's term) are not kept: a file whose mtime or ctime is within 2 s of now could be
 * written again within the same timestamp tick without its stat changing (Deno reports ctime in whole
 * seconds), so it is hashed again next time rather than trusted.
 *
 * @module
 */

const RACY_WINDOW_MS = 2000;

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

/** Values by absolute path, valid while the file's stat is unchanged. Loaded on first use. */
export class StatCache<V> {
  readonly #path: string | undefined;
  readonly #now: () => number;
  #entries: Record<string, StatKey & { value: V }> | undefined;
  #dirty = false;

  /**
   * @param path where the cache persists (omit for a cache in memory only)
   * @param options.now the clock of the racy rule (tests move it forward)
   */
  constructor(path?: string, options: { now?: () => number } = {}) {
    this.#path = path;
    this.#now = options.now ?? Date.now;
  }

  #load(): Record<string, StatKey & { value: V }> {
    if (this.#entries) return this.#entries;
    this.#entries = {};
    if (this.#path) {
      try {
        this.#entries = JSON.parse(Deno.readTextFileSync(this.#path));
      } catch {
        // missing or unreadable: rebuilt as files are hashed
      }
    }
    return this.#entries!;
  }

  /** The value cached for `path` if the file's stat is still `stat`. */
  get(path: string, stat: StatKey): V | undefined {
    const entry = this.#load()[path];
    return entry && sameStat(entry, stat) ? entry.value : undefined;
  }

  /** Caches `value` for `path` at `stat`, unless the file is racy (then any old entry is dropped). */
  set(path: string, stat: StatKey, value: V): void {
    const entries = this.#load();
    if (this.#now() - Math.max(stat.mtimeMs, stat.ctimeMs) > RACY_WINDOW_MS) {
      entries[path] = { ...stat, value };
      this.#dirty = true;
    } else if (entries[path]) {
      delete entries[path];
      this.#dirty = true;
    }
  }

  /** Writes the cache back if it changed (temp file + rename, so readers never see half of it). */
  save(): void {
    if (!this.#path || !this.#dirty) return;
    const tmp = `${this.#path}.${Deno.pid}.tmp`;
    Deno.writeTextFileSync(tmp, JSON.stringify(this.#entries));
    Deno.renameSync(tmp, this.#path);
    this.#dirty = false;
  }
}
