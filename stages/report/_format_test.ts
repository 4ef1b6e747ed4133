import assert from "node:assert/strict";
import { formatBytes, formatDuration, formatNumber, formatTimestamp, shortDigest } from "./_format.ts";

Deno.test("formatNumber() formats for people, independent of locale", async (t) => {
  const cases: [number | bigint | null | undefined, Parameters<typeof formatNumber>[1], string][] = [
    [null, {}, "—"],
    [NaN, {}, "—"],
    [Infinity, {}, "∞"],
    [-Infinity, {}, "-∞"],
    [0, {}, "0"],
    [1234567, {}, "1,234,567"],
    [-9876, {}, "-9,876"],
    [12345678901234567890n, {}, "12,345,678,901,234,567,890"],
    [3.14159, {}, "3.142"],
    [0.1, {}, "0.1"],
    [0.000123456, {}, "1.235e-4"],
    [2.5e-7, { significant: 2 }, "2.5e-7"],
    [1.5e9 + 0.5, {}, "1.5e9"],
    [12345.678, {}, "12,350"],
    [3.14159, { digits: 2 }, "3.14"],
    [12345.678, { digits: 1 }, "12,345.7"],
    [-0.5, { digits: 0 }, "-1"],
  ];
  for (const [value, format, expected] of cases) {
    await t.step(`${String(value)} ${JSON.stringify(format)} → ${expected}`, () => {
      assert.equal(formatNumber(value, format), expected);
    });
  }
});

Deno.test("formatDuration() picks a readable unit", () => {
  assert.deepEqual(
    [340.4, 1840, 38_200, 251_400, 3_725_000, -1].map(formatDuration),
    ["340 ms", "1.84 s", "38.2 s", "4 min 11 s", "1 h 02 min", "—"],
  );
});

Deno.test("formatTimestamp(), shortDigest() and formatBytes()", () => {
  assert.equal(formatTimestamp("2025-11-22T00:57:31.123Z"), "2025-11-22 00:57 UTC");
  assert.equal(formatTimestamp("2025-11-22T02:57:31+02:00"), "2025-11-22 00:57 UTC");
  assert.equal(formatTimestamp("yesterday"), "yesterday");
  assert.equal(shortDigest("sha256:0123456789abcdef0123"), "0123456789ab");
  assert.equal(shortDigest("0123456789abcdef", 6), "012345");
  assert.deepEqual([999, 2_900, 31_400_000].map(formatBytes), ["999 B", "2.9 KB", "31 MB"]);
});
