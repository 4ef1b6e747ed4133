/**
 * The local store under data/: content-addressed objects, the key → object table, run records,
 * pointers to the latest run of each (pipeline, param set), locks and scratch space.
 *
 * ```
 * data/
 *   objects/ab/<digest>/         a stage output: manifest.json (the digest's preimage), stat.json, out/
 *   keys/ab/<key>.json           cache key → object digest + provenance of the execution that made it
 *   work/<key>/                  resumable scratch (checkpoints) of an unfinished execution
 *   runs/<run-id>/               run.json, stages.jsonl, logs/, *.parquet, metrics/*.parquet
 *   pointers/<pipeline>/         latest.json and <param-set>.json → run id
 *   active/<run-id>.json         runs in progress (owner pid); gc waits for them
 *   locks/  tmp/  cache/
 * ```
 *
 * Crash safety comes from ordering: a stage writes into tmp/, the engine hashes the files, renames the
 * whole folder into objects/ (one atomic rename), and only then writes the key record (tmp file +
 * rename). A process killed at any point leaves either no key record, or a key record whose object is
 * complete. Leftover tmp/ folders of dead processes are removed by the next run.
 *
 * @module
 */
import { canonicalJson } from "./canonical_json.ts";
import type { CodeFile } from "./code_digest.ts";
import { sha256File, sha256Hex } from "./hash.ts";
import { sameStat, type StatKey, statKey } from "./stat_cache.ts";
import { currentProcess, isAlive, type ProcessId } from "./process_lock.ts";

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

/** The provenance of the execution that produced an object under a key. Immutable once written. */
export interface KeyRecord {
  key: string;
  object: string;
  pipeline: string;
  stage: string;
  kind: string;
  codeDigest: string;
  codeFiles: CodeFile[];
  params: unknown;
  /** Input name → object digest. */
  inputs: Record<string, string>;
  runtime: Record<string, string>;
  /** External path → content digest the output was computed from (StageKind.externalFiles). */
  files?: Record<string, string>;
  producedBy: { runId: string; startedAt: string; durationMs: number; host: string };
  /** Last value of each metric the execution recorded: the headline of `list` without reading Parquet. */
  lastMetrics: Record<string, number>;
}

export type Verification = { ok: true } | { ok: false; problem: string };

const shard = (hex: string) => hex.slice(0, 2);

export class Store {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  /** Opens (creating if needed) the store at `root`. */
  static open(root: string): Store {
    for (const dir of ["objects", "keys", "work", "runs", "pointers", "active", "locks", "tmp", "cache"]) {
      Deno.mkdirSync(`${root}/${dir}`, { recursive: true });
    }
    return new Store(root);
  }

  // ---- objects --------------------------------------------------------------------------------

  objectDir(digest: string): string {
    return `${this.root}/objects/${shard(digest)}/${digest}`;
  }

  /** The folder a consumer reads: the stage's files. */
  objectOut(digest: string): string {
    return `${this.objectDir(digest)}/out`;
  }

  /** A fresh staging folder owned by this process; the stage writes into `<it>/out`. */
  makeStaging(): string {
    const { pid, start } = currentProcess();
    const dir = `${this.root}/tmp/${pid}-${start}-${crypto.randomUUID().slice(0, 8)}`;
    Deno.mkdirSync(`${dir}/out`, { recursive: true });
    return dir;
  }

  /**
   * Hashes a finished staging folder and moves it into objects/ (atomically). Returns the digest.
   * When the object already exists and verifies, the staging folder is dropped: identical output.
   */
  async commitObject(staging: string): Promise<string> {
    const files = await hashTree(`${staging}/out`);
    const digest = sha256Hex(canonicalJson(files));
    await Deno.writeTextFile(`${staging}/manifest.json`, JSON.stringify({ digest, files }, null, 1));
    const target = this.objectDir(digest);
    await Deno.mkdir(`${this.root}/objects/${shard(digest)}`, { recursive: true });
    if (await exists(target)) {
      const check = await this.verifyObject(digest);
      if (check.ok) {
        await Deno.remove(staging, { recursive: true });
        return digest;
      }
      await this.removeObject(digest); // a corrupt copy: replace it with the fresh one
    }
    for (const f of files) await Deno.chmod(`${staging}/out/${f.path}`, 0o444);
    try {
      await Deno.rename(staging, target);
    } catch (error) {
      // A concurrent run committed the same object first: ours is identical, drop it.
      if (!(await exists(`${target}/manifest.json`))) throw error;
      await Deno.remove(staging, { recursive: true });
      return digest;
    }
    await this.#writeStats(digest, files);
    return digest;
  }

  /**
   * Checks that an object's files are exactly those of its manifest. Files whose stat is unchanged
   * since commit are trusted; any other file is re-hashed. Cost: one stat per file when intact.
   */
  async verifyObject(digest: string): Promise<Verification> {
    const dir = this.objectDir(digest);
    let manifest: { digest: string; files: ManifestFile[] };
    try {
      manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
    } catch {
      return {
        ok: false,
        problem: (await exists(dir)) ? "its manifest is missing or unreadable" : "it is missing",
      };
    }
    if (manifest.digest !== digest || sha256Hex(canonicalJson(manifest.files)) !== digest) {
      return { ok: false, problem: "its manifest does not match its digest" };
    }
    let stats: Record<string, StatKey> = {};
    try {
      stats = JSON.parse(await Deno.readTextFile(`${dir}/stat.json`));
    } catch {
      // no stat record (killed right after the rename): every file gets hashed below
    }
    const present = new Set(await listFiles(`${dir}/out`));
    let rehashed = false;
    for (const f of manifest.files) {
      if (!present.delete(f.path)) return { ok: false, problem: `file ${f.path} is missing` };
      const path = `${dir}/out/${f.path}`;
      const stat = statKey(await Deno.stat(path));
      const known = stats[f.path];
      if (known && sameStat(known, stat)) continue;
      rehashed = true;
      if (stat.size !== f.size || (await sha256File(path)) !== f.sha256) {
        return { ok: false, problem: `file ${f.path} changed on disk` };
      }
    }
    if (present.size > 0) return { ok: false, problem: `unexpected file ${[...present][0]} was added` };
    if (rehashed) await this.#writeStats(digest, manifest.files); // e.g. touched but intact: trust the new stat
    return { ok: true };
  }

  async removeObject(digest: string): Promise<void> {
    const dir = this.objectDir(digest);
    // Rename first so that a half-deleted object is never taken for a whole one.
    const doomed = `${this.root}/tmp/doomed-${digest}-${crypto.randomUUID().slice(0, 8)}`;
    try {
      await Deno.rename(dir, doomed);
    } catch {
      return;
    }
    await makeWritable(doomed);
    await Deno.remove(doomed, { recursive: true });
  }

  async #writeStats(digest: string, files: ManifestFile[]): Promise<void> {
    const dir = this.objectDir(digest);
    const stats: Record<string, StatKey> = {};
    for (const f of files) stats[f.path] = statKey(await Deno.stat(`${dir}/out/${f.path}`));
    await writeAtomic(`${dir}/stat.json`, JSON.stringify(stats));
  }

  // ---- keys -----------------------------------------------------------------------------------

  #keyPath(key: string): string {
    return `${this.root}/keys/${shard(key)}/${key}.json`;
  }

  readKey(key: string): KeyRecord | null {
    try {
      return JSON.parse(Deno.readTextFileSync(this.#keyPath(key))) as KeyRecord;
    } catch {
      return null;
    }
  }

  async writeKey(record: KeyRecord): Promise<void> {
    await Deno.mkdir(`${this.root}/keys/${shard(record.key)}`, { recursive: true });
    await writeAtomic(this.#keyPath(record.key), JSON.stringify(record));
  }

  async removeKey(key: string): Promise<void> {
    await Deno.remove(this.#keyPath(key)).catch(() => {});
  }

  /** Every key record (for gc). */
  async *keys(): AsyncGenerator<KeyRecord> {
    for await (const dir of Deno.readDir(`${this.root}/keys`)) {
      for await (const f of Deno.readDir(`${this.root}/keys/${dir.name}`)) {
        const record = this.readKey(f.name.replace(/\.json$/, ""));
        if (record) yield record;
      }
    }
  }

  workDir(key: string): string {
    return `${this.root}/work/${key}`;
  }

  lockPath(name: string): string {
    return `${this.root}/locks/${name}.lock`;
  }

  // ---- leftovers ------------------------------------------------------------------------------

  /** Removes staging folders and run markers of processes that are gone. Returns what was removed. */
  async cleanLeftovers(): Promise<string[]> {
    const removed: string[] = [];
    const host = currentProcess().host;
    for await (const entry of Deno.readDir(`${this.root}/tmp`)) {
      const m = /^(\d+)-(\d+)-/.exec(entry.name);
      const owner: ProcessId | null = m ? { pid: Number(m[1]), start: Number(m[2]), host } : null;
      if (owner && isAlive(owner)) continue;
      const path = `${this.root}/tmp/${entry.name}`;
      await makeWritable(path);
      await Deno.remove(path, { recursive: true }).catch(() => {});
      removed.push(`tmp/${entry.name}`);
    }
    return removed;
  }
}

// ---- file helpers -------------------------------------------------------------------------------

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes a file so that readers see either the old or the new content, never a partial one. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/** Relative paths of all regular files under `dir`, sorted. Symlinks are refused: outputs must be self-contained. */
export async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const rel = prefix + e.name;
    if (e.isSymlink) {
      throw new Error(`Cannot store output file ${rel}: it is a symlink; write a real file instead`);
    }
    if (e.isDirectory) out.push(...(await listFiles(`${dir}/${e.name}`, rel + "/")));
    else out.push(rel);
  }
  return out;
}

async function hashTree(dir: string): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];
  for (const path of await listFiles(dir)) {
    const full = `${dir}/${path}`;
    files.push({ path, size: (await Deno.stat(full)).size, sha256: await sha256File(full) });
  }
  return files;
}

async function makeWritable(path: string): Promise<void> {
  // Objects are read-only; as root that does not matter, as a user it blocks nothing but chmod is cheap.
  try {
    const info = await Deno.lstat(path);
    if (info.isDirectory) {
      await Deno.chmod(path, 0o755);
      for await (const e of Deno.readDir(path)) await makeWritable(`${path}/${e.name}`);
    } else if (info.isFile) await Deno.chmod(path, 0o644);
  } catch {
    // vanished meanwhile
  }
}
