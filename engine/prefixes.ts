/**
 * The index of outputs that a longer run can continue (StageKind.extendsRun): for each prefix key (the
 * cache key without the extending params, cache_key.ts `prefixKey`), one small file per cached output
 * naming its key and the values of its extending params.
 *
 * ```
 * data/prefixes/ab/<prefix-key>/<key>.json    {"key": …, "values": {"steps": 2400}}
 * ```
 *
 * One file per entry, written atomically, so concurrent runs never lose each other's entries. An
 * entry whose key record or object is gone is skipped (and removed).
 *
 * @module
 */
import type { KeyRecord, Store } from "./store.ts";
import { writeAtomic } from "./store.ts";

export interface PrefixEntry {
  key: string;
  values: Record<string, unknown>;
}

const dirOf = (store: Store, prefix: string) => `${store.root}/prefixes/${prefix.slice(0, 2)}/${prefix}`;

/** Records that the output under `key` extends from `prefix` with `values`. */
export async function addPrefixEntry(store: Store, prefix: string, entry: PrefixEntry): Promise<void> {
  const dir = dirOf(store, prefix);
  await Deno.mkdir(dir, { recursive: true });
  await writeAtomic(`${dir}/${entry.key}.json`, JSON.stringify(entry));
}

/**
 * The cached output to continue from: among the entries of `prefix` whose every extending value is a
 * number no larger than ours (and not all equal: that would be a cache hit), the one furthest along
 * its first extending param, with its key record.
 */
export function findContinuation(
  store: Store,
  prefix: string,
  ours: Record<string, unknown>,
): { entry: PrefixEntry; record: KeyRecord } | null {
  let names: string[];
  try {
    names = [...Deno.readDirSync(dirOf(store, prefix))].map((e) => e.name).filter((n) => n.endsWith(".json"));
  } catch {
    return null;
  }
  const params = Object.keys(ours);
  let best: { entry: PrefixEntry; record: KeyRecord } | null = null;
  for (const name of names) {
    let entry: PrefixEntry;
    try {
      entry = JSON.parse(Deno.readTextFileSync(`${dirOf(store, prefix)}/${name}`));
    } catch {
      continue; // being written, or damaged: not a candidate
    }
    if (typeof entry?.key !== "string" || typeof entry.values !== "object" || entry.values === null) continue;
    const fits = params.every((p) =>
      typeof entry.values[p] === "number" && typeof ours[p] === "number" && entry.values[p]! <= ours[p]!
    );
    const shorter = params.some((p) => entry.values[p] !== ours[p]);
    if (!fits || !shorter) continue;
    const record = store.readKey(entry.key);
    if (!record) {
      Deno.removeSync(`${dirOf(store, prefix)}/${name}`);
      continue;
    }
    const first = params[0]!;
    if (!best || (entry.values[first] as number) > (best.entry.values[first] as number)) {
      best = { entry, record };
    }
  }
  return best;
}
