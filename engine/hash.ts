/**
 * SHA-256 helpers. `node:crypto` is used rather than WebCrypto because it hashes synchronously and
 * streams large files without loading them whole.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Hex sha256 of a string (UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Hex sha256 of a file's bytes, read in 1 MiB chunks. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(1 << 20);
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}

/** Hex sha256 of a file's bytes, read synchronously in 1 MiB chunks (for synchronous planning). */
export function sha256FileSync(path: string): string {
  const hash = createHash("sha256");
  using file = Deno.openSync(path, { read: true });
  const buffer = new Uint8Array(1 << 20);
  while (true) {
    const n = file.readSync(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}
