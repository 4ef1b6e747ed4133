/**
 * SHA-256 of bytes, as lower-case hex. node:crypto measured 1.3 GB/s here against 0.6 GB/s for
 * WebCrypto's `crypto.subtle.digest` on one core (60 MB: 45 ms vs 100 ms), so shard verification uses it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { SourceFile } from "./manifest.ts";

/** The sha256 of `bytes` as 64 lower-case hex digits. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The manifest entry of a source file: base name, size and sha256 of the bytes as read. */
export function sourceFileEntry(path: string, bytes: Uint8Array): SourceFile {
  return { name: path.slice(path.lastIndexOf("/") + 1), bytes: bytes.length, sha256: sha256Hex(bytes) };
}
