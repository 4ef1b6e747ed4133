/**
 * A stage's metrics as a Parquet file (step, name, value) in its output, so that reports can query
 * them with SQL and they travel with the output they describe.
 *
 * @module
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import type { MetricRow } from "./checkpoint.ts";

export function writeMetricsParquet(path: string, rows: readonly MetricRow[]): void {
  const buffer = parquetWriteBuffer(
    {
      codec: "UNCOMPRESSED",
      columnData: [
        { name: "step", type: "INT64", data: rows.map((r) => BigInt(r.step)) },
        { name: "name", type: "STRING", data: rows.map((r) => r.name) },
        { name: "value", type: "DOUBLE", data: rows.map((r) => (Number.isFinite(r.value) ? r.value : NaN)) },
      ],
    } as Parameters<typeof parquetWriteBuffer>[0],
  );
  Deno.writeFileSync(path, new Uint8Array(buffer));
}
