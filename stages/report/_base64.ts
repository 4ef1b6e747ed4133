/**
 * Base64 for data: URIs, without Node's Buffer.
 *
 * @module
 */

/** Standard base64 of `bytes`, built in chunks so that large images do not overflow the call stack. */
export function encodeBase64(bytes: Uint8Array): string {
  const chunk = 0x8000;
  let binary = "";
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}
