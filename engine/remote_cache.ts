/**
 * The shared remote cache: the store's two kinds of entries on an S3 bucket (AWS, MinIO, Ceph, R2, …),
 * read through on a local miss and written through after a local commit (`--remote s3://bucket/prefix`).
 *
 * ```
 * <prefix>/ac/<key>                          the key record (as keys/ab/<key>.json): key → object digest
 * <prefix>/cas/<digest>/out/<path>           the object's files
 * <prefix>/cas/<digest>/manifest.json        its manifest (sorted path, size, sha256; the digest's preimage)
 * <prefix>/runs/<pipeline>/<run-id>/…        run records (remote_sync.ts), manifest.json last
 * <prefix>/pointers/<pipeline>/latest.json   the newest run pushed of each pipeline
 * ```
 *
 * Guarantees, from ordering and digests rather than from the server (S3 has no transactions, and test
 * servers such as s3rver check neither signatures nor conditional writes):
 *
 * - Upload order is files, then the manifest, then the key record. A reader that finds a key record
 *   thus finds a complete object, unless it was damaged later; a writer killed half-way leaves files
 *   without a manifest, or an object without a key record, which no reader uses.
 * - Every download is verified before it is served: the key record against its schema and its key, the
 *   manifest against the digest (sha256 of its canonical file list), every file's size and sha256 against
 *   the manifest, while it streams into a staging folder. Only then is the object committed locally
 *   (store.ts re-hashes it) and its key record written. A file that does not match is never served:
 *   the stage recomputes, and the remote object's manifest is deleted so that the next writer uploads
 *   it whole again.
 * - Objects are content-addressed, so PUTs are idempotent: two writers racing on one key upload equal
 *   or different complete objects and the last key record wins; each names a complete object. A
 *   writer skips an object whose manifest is already there.
 * - The remote is trusted for which object a key names (as any shared action cache is), never for bytes.
 *
 * A remote that cannot be reached costs one warning; the run goes on with the local store.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { S3Client, S3Errors } from "@bradenmacdonald/s3-lite-client";
import { canonicalJson } from "./canonical_json.ts";
import { isStoreWriteError } from "./fs_errors.ts";
import { sha256Hex } from "./hash.ts";
import type { ProjectConfig } from "./project_config.ts";
import { checkShape, keyRecordSchema, manifestSchema } from "./store_schema.ts";
import type { KeyRecord, ManifestFile, Store } from "./store.ts";

/** What a lookup on the remote found. */
export type RemoteFetch =
  /** With `peeked`, nothing was downloaded: the remote has the entry (a dry run's lookup). */
  | { found: true; record: KeyRecord; peeked?: true }
  | { found: false; problem?: string };

/** The remote side of a store (Store.remote): consulted on a miss, fed after a commit. */
export interface RemoteCache {
  /** `s3://bucket/prefix`, for messages. */
  readonly url: string;
  /** Look up local misses here (read-through). */
  readonly reads: boolean;
  /** Upload what is committed locally (write-through). */
  readonly writes: boolean;
  /** Only look (a dry run): say what the remote has without downloading or writing anything. */
  readonly peek: boolean;
  /** Downloads, verifies and commits locally the object of `key`, and writes its key record. */
  fetch(store: Store, key: string): Promise<RemoteFetch>;
  /** Uploads the object of `record` (unless the remote has it whole) and then the record. */
  upload(store: Store, record: KeyRecord): Promise<"uploaded" | "present" | "skipped">;
}

/** Where a remote is and how to sign for it. */
export interface RemoteSpec {
  url: string;
  bucket: string;
  prefix: string;
  endpoint: string;
  region: string;
  pathStyle: boolean;
  accessKey: string;
  secretKey: string;
  sessionToken?: string;
}

export class RemoteConfigError extends Error {
  override name = "RemoteConfigError";
}

/** `s3://bucket/a/b/` → bucket `bucket`, prefix `a/b` (no slashes at its ends). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/.*)?$/.exec(url);
  if (!m) {
    throw new RemoteConfigError(
      `Cannot use the remote '${url}': write it as s3://bucket/prefix (a bucket name of 3–63 lower-case ` +
        `letters, digits, dots and hyphens), or name a remote of .repro/config.json`,
    );
  }
  return { bucket: m[1]!, prefix: (m[2] ?? "").replace(/^\/+|\/+$/g, "") };
}

/**
 * The remote to use: `flag` (a URL or a name of the config's remotes), else the config's default,
 * else none. The endpoint comes from the config or $AWS_ENDPOINT_URL_S3 / $AWS_ENDPOINT_URL (default
 * AWS), the region from the config or $AWS_REGION / $AWS_DEFAULT_REGION (default us-east-1), the
 * credentials only from $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY and $AWS_SESSION_TOKEN.
 */
export function resolveRemote(
  flag: string | undefined,
  config: ProjectConfig,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): RemoteSpec | null {
  const chosen = flag ?? config.remote;
  if (!chosen || chosen === "none") return null;
  const named = config.remotes?.[chosen];
  if (!named && !chosen.startsWith("s3://")) {
    const known = Object.keys(config.remotes ?? {});
    throw new RemoteConfigError(
      `Unknown remote '${chosen}': give an s3://bucket/prefix URL` +
        (known.length
          ? ` or one of the config's remotes (${known.join(", ")})`
          : " or name one in .repro/config.json"),
    );
  }
  const url = named?.url ?? chosen;
  const { bucket, prefix } = parseS3Url(url);
  const endpoint = named?.endpoint ?? env("AWS_ENDPOINT_URL_S3") ?? env("AWS_ENDPOINT_URL");
  const accessKey = env("AWS_ACCESS_KEY_ID");
  const secretKey = env("AWS_SECRET_ACCESS_KEY");
  if (!accessKey || !secretKey) {
    throw new RemoteConfigError(
      `The remote ${url} needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and ` +
        `AWS_SESSION_TOKEN for temporary ones) in the environment; they are never read from a file`,
    );
  }
  const region = named?.region ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? "us-east-1";
  const sessionToken = env("AWS_SESSION_TOKEN");
  return {
    url: prefix ? `s3://${bucket}/${prefix}` : `s3://${bucket}`,
    bucket,
    prefix,
    // A custom endpoint (MinIO, Ceph, a test server) usually wants path-style requests; AWS wants
    // virtual-hosted ones.
    endpoint: endpoint ?? `https://s3.${region}.amazonaws.com`,
    region,
    pathStyle: named?.pathStyle ?? endpoint !== undefined,
    accessKey,
    secretKey,
    ...(sessionToken ? { sessionToken } : {}),
  };
}

/** A manifest path that stays inside the object's folder (a remote's manifest is not trusted for paths). */
export function safeRelativePath(path: string): boolean {
  return path.length > 0 && !path.startsWith("/") && !path.includes("\\") && !path.includes("\0") &&
    path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

const isNotFound = (error: unknown) => error instanceof S3Errors.ServerError && error.statusCode === 404;

/** A failure to reach or use the remote (network, auth, a server error), as opposed to a missing entry. */
export class RemoteUnavailableError extends Error {
  override name = "RemoteUnavailableError";
}

/** Runs `work` on `items` with at most `limit` at a time. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The S3 remote cache. */
export class S3RemoteCache implements RemoteCache {
  readonly url: string;
  readonly reads: boolean;
  readonly writes: boolean;
  readonly peek: boolean;
  readonly spec: RemoteSpec;
  readonly #client: S3Client;
  readonly #warn: (message: string) => void;
  /** Set once the remote failed: the rest of the run does without it (one warning). */
  #down: string | null = null;

  constructor(
    spec: RemoteSpec,
    options: { reads?: boolean; writes?: boolean; peek?: boolean; warn?: (message: string) => void } = {},
  ) {
    this.spec = spec;
    this.url = spec.url;
    this.peek = options.peek ?? false;
    this.reads = options.reads ?? true;
    this.writes = !this.peek && (options.writes ?? true);
    this.#warn = options.warn ?? ((m) => console.error(`warning: ${m}`));
    this.#client = new S3Client({
      endPoint: spec.endpoint,
      region: spec.region,
      bucket: spec.bucket,
      pathStyle: spec.pathStyle,
      accessKey: spec.accessKey,
      secretKey: spec.secretKey,
      ...(spec.sessionToken ? { sessionToken: spec.sessionToken } : {}),
    });
  }

  /** The S3 object key of `path` under the remote's prefix. */
  objectKey(path: string): string {
    return this.spec.prefix ? `${this.spec.prefix}/${path}` : path;
  }

  // ---- plain object operations (also used by remote_sync.ts) --------------------------------------

  /** The bytes at `path`, or null when there is none. Throws RemoteUnavailableError otherwise. */
  async getBytes(path: string): Promise<Uint8Array | null> {
    try {
      const response = await this.#client.getObject(this.objectKey(path));
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.#unavailable(error);
    }
  }

  /** The response at `path` for streaming, or null when there is none. */
  async getStream(path: string): Promise<Response | null> {
    try {
      return await this.#client.getObject(this.objectKey(path));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.#unavailable(error);
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      return await this.#client.exists(this.objectKey(path));
    } catch (error) {
      throw this.#unavailable(error);
    }
  }

  async put(path: string, data: Uint8Array<ArrayBuffer> | string): Promise<void> {
    try {
      await this.#client.putObject(this.objectKey(path), data);
    } catch (error) {
      throw this.#unavailable(error);
    }
  }

  /** Uploads a local file: read whole when small, streamed (multipart past 64 MiB) when large. */
  async putFile(path: string, file: string): Promise<void> {
    const size = (await Deno.stat(file)).size;
    try {
      if (size < 8 << 20) {
        await this.#client.putObject(this.objectKey(path), await Deno.readFile(file));
        return;
      }
      const handle = await Deno.open(file, { read: true }); // its readable closes it when consumed
      await this.#client.putObject(this.objectKey(path), handle.readable, { size });
    } catch (error) {
      throw this.#unavailable(error);
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await this.#client.deleteObject(this.objectKey(path));
    } catch (error) {
      if (!isNotFound(error)) throw this.#unavailable(error);
    }
  }

  /** Every object key under `path/` (relative to the remote's prefix). */
  async list(path: string): Promise<string[]> {
    const base = this.objectKey(path.endsWith("/") ? path : `${path}/`);
    const strip = this.spec.prefix ? this.spec.prefix.length + 1 : 0;
    const keys: string[] = [];
    try {
      for await (const o of this.#client.listObjects({ prefix: base })) keys.push(o.key.slice(strip));
    } catch (error) {
      throw this.#unavailable(error);
    }
    return keys;
  }

  #unavailable(error: unknown): RemoteUnavailableError {
    if (error instanceof RemoteUnavailableError) return error;
    const message = error instanceof S3Errors.ServerError
      ? `${error.statusCode} ${error.code}: ${error.message}`
      : error instanceof Error
      ? error.message
      : String(error);
    return new RemoteUnavailableError(`the remote ${this.url} failed: ${message}`);
  }

  /** Runs `work`; a remote that fails is warned about once and left alone for the rest of the process. */
  async #guard<T>(work: () => Promise<T>, fallback: T): Promise<T> {
    if (this.#down) return fallback;
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof RemoteUnavailableError)) throw error;
      this.#down = error.message;
      this.#warn(`${error.message}; going on without it (nothing is lost: results stay in the local store)`);
      return fallback;
    }
  }

  // ---- the cache ----------------------------------------------------------------------------------

  fetch(store: Store, key: string): Promise<RemoteFetch> {
    return this.#guard(() => this.fetchEntry(store, key), { found: false });
  }

  /** `fetch` that throws RemoteUnavailableError instead of warning (push and pull). */
  async fetchEntry(store: Store, key: string): Promise<RemoteFetch> {
    const bytes = await this.getBytes(`ac/${key}`);
    if (!bytes) return { found: false };
    let data: unknown;
    try {
      data = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return { found: false, problem: "on the remote: its key record is not valid JSON" };
    }
    const shape = checkShape(keyRecordSchema, data);
    if (!shape.ok) {
      return { found: false, problem: `on the remote: its key record is corrupt (${shape.problem})` };
    }
    const record = shape.value as KeyRecord;
    if (record.key !== key) {
      return { found: false, problem: "on the remote: its key record names another key" };
    }
    if (this.peek) {
      return (await this.exists(`cas/${record.object}/manifest.json`))
        ? { found: true, record, peeked: true }
        : {
          found: false,
          problem: "on the remote: its key record names an object that is not there whole (no manifest)",
        };
    }
    const local = await store.verifyObject(record.object);
    if (!local.ok) {
      const problem = await this.#download(store, record.object);
      if (problem) return { found: false, problem };
    }
    await store.writeKey(record);
    return { found: true, record };
  }

  /** Downloads object `digest` into the local store, verifying every byte; returns the problem if any. */
  async #download(store: Store, digest: string): Promise<string | null> {
    const manifestBytes = await this.getBytes(`cas/${digest}/manifest.json`);
    if (!manifestBytes) {
      return "on the remote: its key record names an object that is not there whole (no manifest)";
    }
    let files: ManifestFile[];
    try {
      const shape = checkShape(manifestSchema, JSON.parse(new TextDecoder().decode(manifestBytes)));
      if (!shape.ok) throw new Error(shape.problem);
      files = shape.value.files as ManifestFile[];
      if (shape.value.digest !== digest || sha256Hex(canonicalJson(files)) !== digest) {
        throw new Error("it does not hash to the object's digest");
      }
      const bad = files.find((f) => !safeRelativePath(f.path));
      if (bad) throw new Error(`it names the file '${bad.path}' outside the object`);
    } catch (error) {
      await this.delete(`cas/${digest}/manifest.json`).catch(() => {});
      return `on the remote: its manifest is corrupt (${(error as Error).message})`;
    }
    const staging = store.makeStaging();
    try {
      let mismatch: string | null = null;
      await inParallel(files, 4, async (f) => {
        if (mismatch) return;
        const problem = await this.#downloadFile(
          `cas/${digest}/out/${f.path}`,
          `${staging}/out/${f.path}`,
          f,
        );
        if (problem) mismatch ??= problem;
      });
      if (mismatch) {
        // Never served. Without its manifest the remote object counts as incomplete, so the next
        // writer of this object uploads it whole again.
        await this.delete(`cas/${digest}/manifest.json`).catch(() => {});
        return `on the remote: ${mismatch}`;
      }
      const committed = await store.commitObject(staging);
      if (committed !== digest) {
        throw new Error(`internal: downloaded object hashed to ${committed}, not ${digest}`);
      }
      return null;
    } finally {
      await Deno.remove(staging, { recursive: true }).catch(() => {});
    }
  }

  /** Streams one file to `target`, hashing it; returns the mismatch, if any. */
  async #downloadFile(path: string, target: string, expect: ManifestFile): Promise<string | null> {
    const response = await this.getStream(path);
    if (!response || !response.body) return `file ${expect.path} is missing`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    const hash = createHash("sha256");
    let size = 0;
    const file = await Deno.open(target, { write: true, createNew: true });
    try {
      for await (const chunk of response.body) {
        hash.update(chunk);
        size += chunk.length;
        if (size > expect.size) break; // longer than the manifest says: no need to read the rest
        for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
      }
    } catch (error) {
      if (isStoreWriteError(error)) throw error; // our disk, not the remote
      throw this.#unavailable(error);
    } finally {
      file.close();
    }
    if (size !== expect.size) {
      return `file ${expect.path} has ${size > expect.size ? "more" : size} bytes, not ${expect.size}`;
    }
    const sha = hash.digest("hex");
    return sha === expect.sha256
      ? null
      : `file ${expect.path} has sha256 ${sha.slice(0, 12)}…, not ${expect.sha256.slice(0, 12)}…`;
  }

  upload(store: Store, record: KeyRecord): Promise<"uploaded" | "present" | "skipped"> {
    return this.#guard(() => this.uploadEntry(store, record), "skipped");
  }

  /** `upload` that throws RemoteUnavailableError instead of warning (push and pull). */
  async uploadEntry(store: Store, record: KeyRecord): Promise<"uploaded" | "present"> {
    const digest = record.object;
    const text = JSON.stringify(record);
    let uploaded = false;
    if (!(await this.exists(`cas/${digest}/manifest.json`))) {
      const dir = store.objectDir(digest);
      const manifest = Deno.readTextFileSync(`${dir}/manifest.json`);
      const { files } = JSON.parse(manifest) as { files: ManifestFile[] };
      await inParallel(files, 4, (f) => this.putFile(`cas/${digest}/out/${f.path}`, `${dir}/out/${f.path}`));
      await this.put(`cas/${digest}/manifest.json`, manifest); // last: marks the object complete
      uploaded = true;
    }
    // HEAD-then-PUT: rewrite the key record only when it names another object (last writer wins).
    const current = await this.getBytes(`ac/${record.key}`);
    let same = false;
    try {
      same = current !== null && JSON.parse(new TextDecoder().decode(current))?.object === digest;
    } catch {
      // a corrupt record: overwrite it
    }
    if (!same) {
      await this.put(`ac/${record.key}`, text);
      uploaded = true;
    }
    return uploaded ? "uploaded" : "present";
  }
}
