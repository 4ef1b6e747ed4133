/**
 * Canonical JSON: object keys sorted, no whitespace, one spelling per value. The cache key is a sha256
 * over this text, so two equal values must always give the same bytes.
 *
 * @module
 */

/** Serialises `value` canonically. Throws on values JSON cannot represent faithfully. */
export function canonicalJson(value: unknown): string {
  return write(value, "$");
}

function write(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) {
        throw new Error(`Cannot hash ${value} at ${path}: only finite numbers are allowed`);
      }
      // JSON.stringify gives the shortest round-trip spelling; -0 and 0 are the same param.
      return Object.is(value, -0) ? "0" : JSON.stringify(value);
    case "bigint":
      return value.toString();
    case "object": {
      if (Array.isArray(value)) return "[" + value.map((v, i) => write(v, `${path}[${i}]`)).join(",") + "]";
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new Error(
          `Cannot hash a ${proto?.constructor?.name ?? "non-plain"} object at ${path}: use plain data`,
        );
      }
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return "{" + entries.map(([k, v]) => JSON.stringify(k) + ":" + write(v, `${path}.${k}`)).join(",") +
        "}";
    }
    default:
      throw new Error(`Cannot hash a ${typeof value} at ${path}: use plain data`);
  }
}
