/**
 * Number, duration, time and digest formatting shared by the report blocks. Everything here is
 * locale-independent, so that a report renders byte-identically on every machine.
 *
 * @module
 */

/** How to format one number. */
export interface NumberFormat {
  /** Fixed number of decimals (e.g. 2 → "3.14"); otherwise `significant` digits are used. */
  digits?: number;
  /** Significant digits when `digits` is not given; trailing zeros are dropped. Default 4. */
  significant?: number;
}

/**
 * Formats a number for a person: "—" for missing or NaN, thousands separators for integers,
 * exponent notation for very large or very small magnitudes.
 */
export function formatNumber(value: number | bigint | null | undefined, format: NumberFormat = {}): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "bigint") return groupThousands(value.toString());
  if (Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  if (format.digits !== undefined) {
    const fixed = value.toFixed(format.digits);
    return Math.abs(value) >= 1e4 ? groupThousands(fixed) : fixed;
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return groupThousands(String(value));
  const significant = format.significant ?? 4;
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) {
    return value.toExponential(significant - 1).replace(/\.?0+e/, "e").replace("e+", "e");
  }
  // Number(...) drops trailing zeros, and String() of a number in [1e-3, 1e6) never uses an exponent.
  const rounded = Number(value.toPrecision(significant));
  return magnitude >= 1e4 ? groupThousands(String(rounded)) : String(rounded);
}

function groupThousands(text: string): string {
  const [whole = "", fraction] = text.split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = sign ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return sign + grouped + (fraction === undefined ? "" : "." + fraction);
}

/** Formats milliseconds as "340 ms", "12.3 s", "4 min 05 s" or "1 h 02 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  const minutes = Math.round(whole / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Formats an ISO time as "2025-11-22 00:57 UTC"; returns the input unchanged when it is not a date. */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The first `length` characters of a hex digest, enough to tell objects apart by eye. */
export function shortDigest(digest: string, length = 12): string {
  return digest.replace(/^sha256:/, "").slice(0, length);
}

/** Bytes as "2.9 KB", "31.4 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
