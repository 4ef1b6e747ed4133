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
 *   reserve                      1 MiB that gc gives up to run on a full disk
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
import { errorCode, isReadOnlyError, isStoreWriteError } from "./fs_errors.ts";
import { isRacy, sameStat, type StatKey, statKey } from "./stat_cache.ts";
import type { RemoteCache } from "./remote_cache.ts";
import { currentProcess, isAlive, type ProcessId } from "./process_lock.ts";
import {
  keyRecordSchema,
  manifestSchema,
  objectStatsSchema,
  readStoreFile,
  type StoreRead,
} from "./store_schema.ts";

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

const FOLDERS = ["objects", "keys", "work", "runs", "pointers", "active", "locks", "tmp", "cache"];
const RESERVE_BYTES = 1 << 20;

export class Store {
  readonly root: string;
  /**
   * Whether the store cannot be written (a read-only mount or share, or one whose folders this user may
   * not write): it then serves cached results and records nothing (readonly_run.ts).
   */
  readonly readOnly: boolean;
  /**
   * The shared remote cache in front of this store, if the command was given one (remote_cache.ts):
   * a miss is looked up there (decide.ts), and a committed output is uploaded there (execute.ts).
   */
  remote: RemoteCache | null = null;

  private constructor(root: string, readOnly: boolean) {
    this.root = root;
    this.readOnly = readOnly;
  }

  /** Opens (creating if needed) the store at `root`. A store that cannot be written opens read-only. */
  static open(root: string): Store {
    for (const dir of FOLDERS) {
      try {
        Deno.mkdirSync(`${root}/${dir}`, { recursive: true });
      } catch (error) {
        if (error instanceof Deno.errors.NotADirectory || error instanceof Deno.errors.AlreadyExists) {
          throw new StoreOpenError(
            `Cannot use ${root} as a store: ${root}/${dir} or a folder above it is a file, not a folder. ` +
              `Point --data-dir (or $REPRO_DATA_DIR) at a folder`,
          );
        }
        // A read-only store may lack folders it never needed; reading treats them as empty.
        if (!isReadOnlyError(error)) throw error;
      }
    }
    return new Store(root, !canWrite(`${root}/tmp`));
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
   * since it was last recorded are trusted; any other file is re-hashed. Cost: one stat per file when
   * intact. With `full`, every file is re-hashed whatever its stat (`deno task verify`: bit rot keeps
   * the stat).
   *
   * A stat is recorded only once it is not "racy" (stat_cache.ts): a file written within the last 2 s
   * could be changed again within the same timestamp tick (Deno reports ctime in whole seconds) without
   * its stat changing, so it is re-hashed until then. A fresh object is thus hashed once more by the
   * first run that uses it a few seconds after it was made, and trusted by its stat afterwards.
   */
  async verifyObject(digest: string, options: { full?: boolean } = {}): Promise<Verification> {
    const dir = this.objectDir(digest);
    const read = readManifest(`${dir}/manifest.json`, digest);
    if (!read.ok) {
      return {
        ok: false,
        problem: !(await exists(dir))
          ? "it is missing"
          : read.missing
          ? "its manifest is missing"
          : `its manifest is unreadable: ${read.problem}`,
      };
    }
    const manifest = read.value;
    if (manifest.digest !== digest || sha256Hex(canonicalJson(manifest.files)) !== digest) {
      return { ok: false, problem: "its manifest does not match its digest" };
    }
    // No or a malformed stat record (killed right after the rename): every file gets hashed below.
    const statRead = options.full ? null : readStoreFile(`${dir}/stat.json`, objectStatsSchema);
    const stats: Record<string, StatKey> = statRead?.ok ? statRead.value : {};
    let present: Set<string>;
    try {
      present = new Set(await listFiles(`${dir}/out`));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { ok: false, problem: "its out/ folder is missing" };
      if (error instanceof UnstorableFileError) return { ok: false, problem: error.message };
      throw error;
    }
    const now = Date.now();
    const trusted: Record<string, StatKey> = {}; // the stats to record: those of intact, non-racy files
    for (const f of manifest.files) {
      if (!present.delete(f.path)) return { ok: false, problem: `file ${f.path} is missing` };
      const path = `${dir}/out/${f.path}`;
      const stat = statKey(await Deno.stat(path));
      const known = stats[f.path];
      if (!(known && sameStat(known, stat))) {
        if (stat.size !== f.size || (await sha256File(path)) !== f.sha256) {
          return { ok: false, problem: `file ${f.path} changed on disk` };
        }
      }
      if (!isRacy(stat, now)) trusted[f.path] = stat;
    }
    if (present.size > 0) return { ok: false, problem: `unexpected file ${[...present][0]} was added` };
    // Touched but intact, or no longer racy: trust the new stats (written only when they changed, so a
    // run right after the commit does not rewrite the record). A read-only store keeps re-hashing.
    if (!this.readOnly && JSON.stringify(trusted) !== JSON.stringify(statRead?.ok ? statRead.value : null)) {
      await writeAtomic(`${dir}/stat.json`, JSON.stringify(trusted)).catch((error) => {
        if (!isStoreWriteError(error)) throw error; // a full disk only costs a re-hash next time
      });
    }
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

  /** Records the stats of an object's files, leaving out racy ones (see verifyObject). */
  async #writeStats(digest: string, files: ManifestFile[]): Promise<void> {
    const dir = this.objectDir(digest);
    const stats: Record<string, StatKey> = {};
    const now = Date.now();
    for (const f of files) {
      const stat = statKey(await Deno.stat(`${dir}/out/${f.path}`));
      if (!isRacy(stat, now)) stats[f.path] = stat;
    }
    await writeAtomic(`${dir}/stat.json`, JSON.stringify(stats));
  }

  // ---- keys -----------------------------------------------------------------------------------

  #keyPath(key: string): string {
    return `${this.root}/keys/${shard(key)}/${key}.json`;
  }

  /** The key record stored under `key`, or null when there is none or it is corrupt (see `lookupKey`). */
  readKey(key: string): KeyRecord | null {
    const read = this.lookupKey(key);
    return read.ok ? read.value : null;
  }

  /**
   * The key record stored under `key`, or why there is none: missing, or corrupt (not JSON, the wrong
   * shape, or naming another key: a record copied or moved from elsewhere points at that key's output,
   * which must not be served as this one's).
   */
  lookupKey(key: string): StoreRead<KeyRecord> {
    const read = readStoreFile(this.#keyPath(key), keyRecordSchema);
    if (!read.ok) return read;
    if (read.value.key !== key) {
      return { ok: false, missing: false, problem: `it names another key (${read.value.key.slice(0, 12)}…)` };
    }
    return { ok: true, value: read.value as KeyRecord };
  }

  async writeKey(record: KeyRecord): Promise<void> {
    await Deno.mkdir(`${this.root}/keys/${shard(record.key)}`, { recursive: true });
    await writeAtomic(this.#keyPath(record.key), JSON.stringify(record));
  }

  async removeKey(key: string): Promise<void> {
    await Deno.remove(this.#keyPath(key)).catch(() => {});
  }

  /** Every key record that reads (for gc); corrupt ones are left to `keyEntries` (verify). */
  async *keys(): AsyncGenerator<KeyRecord> {
    for await (const entry of this.keyEntries()) if (entry.read.ok) yield entry.read.value;
  }

  /** Every file under keys/ that looks like a key record, read and checked (see `lookupKey`). */
  async *keyEntries(): AsyncGenerator<{ key: string; path: string; read: StoreRead<KeyRecord> }> {
    for (const dir of await listDir(`${this.root}/keys`)) {
      for (const name of await listDir(`${this.root}/keys/${dir}`)) {
        const m = /^([0-9a-f]{64})\.json$/.exec(name);
        if (!m || m[1]!.slice(0, 2) !== dir) continue; // a temp file of writeAtomic, or foreign
        yield { key: m[1]!, path: `${this.root}/keys/${dir}/${name}`, read: this.lookupKey(m[1]!) };
      }
    }
  }

  workDir(key: string): string {
    return `${this.root}/work/${key}`;
  }

  /** Removes the work folder of `key` if the stage left nothing in it (call under the key's lock). */
  async removeWorkDirIfEmpty(key: string): Promise<void> {
    await Deno.remove(this.workDir(key)).catch(() => {}); // not recursive: fails when it holds checkpoints
  }

  lockPath(name: string): string {
    return `${this.root}/locks/${name}.lock`;
  }

  // ---- leftovers ------------------------------------------------------------------------------

  // ---- the reserve ------------------------------------------------------------------------------

  /**
   * A file of 1 MiB kept in the store so that gc can still run on a full disk: gc needs a few bytes for
   * its lock and for finishing the records of dead runs before it can free anything. It is made by the
   * run that finds it missing (one stat per run otherwise) and given up by gc when the disk is full.
   */
  get reservePath(): string {
    return `${this.root}/reserve`;
  }

  /** Makes the reserve if it is missing and there is room (a full disk only means no reserve yet). */
  ensureReserve(): void {
    try {
      Deno.statSync(this.reservePath);
      return;
    } catch {
      // missing
    }
    const tmp = `${this.reservePath}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      Deno.writeFileSync(tmp, new Uint8Array(RESERVE_BYTES));
      Deno.renameSync(tmp, this.reservePath);
    } catch (error) {
      try {
        Deno.removeSync(tmp);
      } catch {
        // never created
      }
      if (!isStoreWriteError(error)) throw error;
    }
  }

  /** Deletes the reserve to make room on a full disk. Returns whether there was one. */
  releaseReserve(): boolean {
    try {
      Deno.removeSync(this.reservePath);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Removes staging folders of processes that are gone, and the temp files that a process killed (or
   * stopped by a full disk) between writing and renaming left in the store's folders (keys/ only with
   * `deep`). Returns what was removed, relative to the store. Also makes the reserve if it is missing.
   */
  async cleanLeftovers(options: { deep?: boolean } = {}): Promise<string[]> {
    this.ensureReserve();
    const removed: string[] = [];
    const host = currentProcess().host;
    for (const name of await listDir(`${this.root}/tmp`)) {
      const m = /^(\d+)-(\d+)-/.exec(name);
      const owner: ProcessId | null = m ? { pid: Number(m[1]), start: Number(m[2]), host } : null;
      if (owner && isAlive(owner)) continue;
      const path = `${this.root}/tmp/${name}`;
      await makeWritable(path);
      await Deno.remove(path, { recursive: true }).catch(() => {});
      removed.push(`tmp/${name}`);
    }
    // Temp files are named <target>.<pid>.<random>[.tmp]; they live for a moment, so one whose pid is
    // gone, or that is older than a minute, is a leftover. keys/ has a folder per shard: it is swept by
    // gc, verify and unlock (`deep`), not on every run.
    const tempFile = /\.(\d+)\.[0-9a-f-]{8,36}(\.tmp)?$/;
    const folders = [".", "locks", "cache", "active"];
    if (options.deep) folders.push(...(await listDir(`${this.root}/keys`)).map((d) => `keys/${d}`));
    for (const folder of folders) {
      for (const name of await listDir(`${this.root}/${folder}`)) {
        const m = tempFile.exec(name);
        if (!m) continue;
        const path = `${this.root}/${folder}/${name}`;
        let age = 0;
        try {
          age = Date.now() - (Deno.lstatSync(path).mtime?.getTime() ?? 0);
        } catch {
          continue;
        }
        if (pidExists(Number(m[1])) && age < 60_000) continue;
        await Deno.remove(path).catch(() => {});
        removed.push(`${folder}/${name}`);
      }
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

/**
 * An object's manifest. One whose file list hashes to `digest` is the one the store wrote (its digest is
 * the hash of that list), so its shape needs no further check; any other goes through the schema, for
 * the message.
 */
function readManifest(path: string, digest: string): StoreRead<{ digest: string; files: ManifestFile[] }> {
  try {
    const data = JSON.parse(Deno.readTextFileSync(path));
    if (
      data?.digest === digest && Array.isArray(data.files) && sha256Hex(canonicalJson(data.files)) === digest
    ) {
      return { ok: true, value: data };
    }
  } catch {
    // missing, unreadable or not JSON: readStoreFile says which
  }
  return readStoreFile(path, manifestSchema);
}

/**
 * Writes a file so that readers see either the old or the new content, never a partial one. When the
 * write fails (a full disk), the temp file is removed before the error goes on.
 */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

/** Thrown when the store folder cannot be one (a file is in the way). */
export class StoreOpenError extends Error {
  override name = "StoreOpenError";
}

/** Thrown for an output that cannot be stored (a symlink). */
export class UnstorableFileError extends Error {
  override name = "UnstorableFileError";
}

/** Whether a file can be created in `dir` (probes with a temp file, removed at once). */
function canWrite(dir: string): boolean {
  const probe = `${dir}/.probe.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}`;
  try {
    Deno.writeTextFileSync(probe, "");
    return true;
  } catch (error) {
    if (isReadOnlyError(error)) return false;
    if (errorCode(error) === "ENOSPC" || errorCode(error) === "EDQUOT") return true; // full, not read-only
    throw error;
  } finally {
    try {
      Deno.removeSync(probe);
    } catch {
      // never created, or swept by a concurrent cleanLeftovers
    }
  }
}

function pidExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** The names in `dir`, or none when it does not exist. */
async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) names.push(e.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names;
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
      throw new UnstorableFileError(
        `Cannot store output file ${rel}: it is a symlink; write a real file instead`,
      );
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
