import assert from "node:assert/strict";
import { readTar } from "./setup_cuda.ts";

/** A minimal tar writer for the test: ustar headers, optional GNU long-name entries. */
function tar(files: { path: string; data: Uint8Array }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const header = (name: string, size: number, type: string) => {
    const h = new Uint8Array(512);
    h.set(new TextEncoder().encode(name.slice(0, 100)));
    h.set(new TextEncoder().encode(size.toString(8).padStart(11, "0") + "\0"), 124);
    h[156] = type.charCodeAt(0);
    h.set(new TextEncoder().encode("ustar\0"), 257);
    return h;
  };
  const pad = (d: Uint8Array) => {
    const out = new Uint8Array(Math.ceil(d.length / 512) * 512);
    out.set(d);
    return out;
  };
  for (const f of files) {
    if (f.path.length > 100) {
      const name = new TextEncoder().encode(f.path + "\0");
      blocks.push(header("././@LongLink", name.length, "L"), pad(name));
    }
    blocks.push(header(f.path, f.data.length, "0"), pad(f.data));
  }
  blocks.push(new Uint8Array(1024));
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of blocks) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

Deno.test("readTar streams only the wanted entries, including GNU long names", async () => {
  const long = "package/" + "deep/".repeat(25) + "Plugins/Linux/x64/libonnxruntime_providers_cuda.so";
  const archive = tar([
    { path: "package/README.md", data: new TextEncoder().encode("hello") },
    { path: long, data: new Uint8Array(1300).fill(7) },
    { path: "package/Plugins/Linux/x64/libonnxruntime_providers_shared.so", data: new Uint8Array([1, 2, 3]) },
  ]);
  // Feed it in awkward chunk sizes.
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < archive.length; i += 333) c.enqueue(archive.subarray(i, i + 333));
      c.close();
    },
  });
  const got: Record<string, Uint8Array> = {};
  for await (const e of readTar(stream, (p) => p.includes("Plugins/"))) got[e.path] = e.data;
  assert.deepEqual(Object.keys(got), [long, "package/Plugins/Linux/x64/libonnxruntime_providers_shared.so"]);
  assert.equal(got[long]!.length, 1300);
  assert.ok(got[long]!.every((b) => b === 7));
  assert.deepEqual(Array.from(got["package/Plugins/Linux/x64/libonnxruntime_providers_shared.so"]!), [
    1,
    2,
    3,
  ]);
});
