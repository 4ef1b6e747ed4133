/**
 * A stage's metrics as a Parquet file (step, name, value) in its output, so that reports can query
 * them with SQL and they travel with the output they describe.
 *
 * @module
 */
import { parquetReadObjects } from "hyparquet";
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

/** The rows of a metrics file written by `writeMetricsParquet`, in file order. */
export async function readMetricsParquet(path: string): Promise<MetricRow[]> {
  const bytes = await Deno.readFile(path);
  const rows = await parquetReadObjects({
    file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  });
  return rows.map((r) => ({ step: Number(r.step), name: String(r.name), value: Number(r.value) }));
}
