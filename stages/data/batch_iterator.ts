/**
 * Shuffled, transformed batches of one split, epoch after epoch, for step-based training.
 *
 * - Order: each epoch is a permutation of the split drawn from (seed, epoch) (see shuffle.ts), so it
 *   does not depend on how the iterator got there.
 * - Position: `position()` is `{ epoch, offset }` of the next batch; an iterator created with that
 *   position yields exactly the batches an uninterrupted one would have yielded, noise included (the
 *   transform's noise is seeded from (seed, epoch, offset)).
 * - Prefetch: after handing out a batch, the next one is built in a macrotask, i.e. while the caller
 *   awaits its training step (onnxruntime runs it off the JS thread); shards of the next shuffle window
 *   are read and decoded ahead in the same way.
 * - Last partial batch of an epoch: kept (default, like PyTorch's `drop_last=False`) or dropped.
 *
 * @module
 */
import { clearImmediate, setImmediate } from "node:timers";
import type { FeatureArray } from "./manifest.ts";
import { mixSeed, Rng } from "./random.ts";
import { epochWindows, permutation, type ShuffleWindow } from "./shuffle.ts";
import type { RecordTransform, TransformSpec } from "./transforms.ts";

/** Label output: int32 (default), int64 (BigInt64Array), onehot (float32 [B, K]) or none. */
export type LabelFormat = "int32" | "int64" | "onehot" | "none";

/** Where an iterator stands: the next batch starts at record `offset` of epoch `epoch`'s order. */
export interface IteratorPosition {
  epoch: number;
  offset: number;
}

/** Options of {@linkcode ShardSet.batches}. */
export interface BatchOptions {
  batchSize: number;
  /** Seed of the shuffle order and of the transform's noise (default 0). */
  seed?: number;
  /** Shuffle each epoch (default true); false gives the stored order every epoch. */
  shuffle?: boolean;
  /**
   * Shards shuffled together (default: all, a global shuffle with the split in memory). A smaller window
   * keeps only `window` shards (plus the next window, read ahead) in memory.
   */
  shuffleWindow?: number;
  /** Drop the last batch of an epoch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Stop at the end of epoch `epochs − 1` (default: never, cycling epochs for step-based training). */
  epochs?: number;
  /** Start here instead of at epoch 0, offset 0 (a value saved from `position()`). */
  position?: IteratorPosition;
  /** Feature to return as `x` (default: the manifest's input). */
  x?: string;
  /** Transform of `x` (default `{}`: uint8 levels as float32 in [0, 1], flat; float features as stored). */
  transform?: TransformSpec;
  /** Label format (default int32). */
  labels?: LabelFormat;
  /** Build the next batch ahead (default true). */
  prefetch?: boolean;
}

/** One batch. The arrays are fresh; the caller may keep or modify them. */
export interface Batch {
  x: Float32Array | Uint8Array | Int32Array;
  /** Shape of `x`, e.g. [128, 1, 28, 28]. */
  dims: number[];
  y?: Int32Array | BigInt64Array | Float32Array;
  yDims?: number[];
  /** Records in this batch (smaller than batchSize only for a kept last batch). */
  size: number;
  epoch: number;
  /** Position of the first record in the epoch's order. */
  offset: number;
  /** Indices of the records in the split's stored order (what readAll would return at these rows). */
  indices: Int32Array;
}

/** What the iterator reads from; provided by ShardSet. */
export interface BatchSource {
  split: string;
  count: number;
  shardCounts: readonly number[];
  x: string;
  transform: RecordTransform;
  target: string | undefined;
  classes: number;
  loadAll(): Promise<Record<string, FeatureArray>>;
  loadShards(indices: readonly number[]): Promise<Record<string, FeatureArray>>;
}

interface LoadedWindow {
  window: ShuffleWindow;
  columns: Record<string, FeatureArray>;
  /** Window-local record ids in this epoch's order. */
  order: Int32Array;
  /** Split index of each window-local record. */
  splitIndex: Int32Array | undefined;
}

const NOISE_STREAM = 0x4e4f_4953; // "NOIS"

/** Converts gathered int32 labels into the requested format. */
export function formatLabels(
  labels: Int32Array,
  options: { format: Exclude<LabelFormat, "none">; classes: number },
): { y: Int32Array | BigInt64Array | Float32Array; dims: number[] } {
  const n = labels.length;
  if (options.format === "int32") return { y: labels, dims: [n] };
  if (options.format === "int64") {
    const y = new BigInt64Array(n);
    for (let i = 0; i < n; i++) y[i] = BigInt(labels[i]!);
    return { y, dims: [n] };
  }
  const k = options.classes;
  const y = new Float32Array(n * k);
  for (let i = 0; i < n; i++) y[i * k + labels[i]!] = 1;
  return { y, dims: [n, k] };
}

/** The iterator returned by {@linkcode ShardSet.batches}. Also an AsyncIterable of batches. */
export class BatchIterator implements AsyncIterableIterator<Batch> {
  readonly #source: BatchSource;
  readonly #batchSize: number;
  readonly #seed: number;
  readonly #shuffle: boolean;
  readonly #window: number;
  readonly #dropLast: boolean;
  readonly #epochs: number;
  readonly #labels: LabelFormat;
  readonly #prefetch: boolean;
  /** Where the next batch to build starts. */
  #cursor: IteratorPosition;
  /** Where the next batch to hand out starts. */
  #delivered: IteratorPosition;
  #pending: Promise<Batch | undefined> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #timer: ReturnType<typeof setImmediate> | undefined;
  readonly #windows = new Map<string, Promise<LoadedWindow>>();
  readonly #epochWindows = new Map<number, ShuffleWindow[]>();

  constructor(source: BatchSource, options: BatchOptions) {
    const { batchSize } = options;
    const n = source.count;
    const where = `Cannot iterate split '${source.split}'`;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`${where}: batchSize ${batchSize} is not an integer ≥ 1`);
    }
    this.#batchSize = batchSize;
    this.#seed = options.seed ?? 0;
    this.#shuffle = options.shuffle ?? true;
    this.#window = options.shuffleWindow ?? source.shardCounts.length;
    this.#dropLast = options.dropLast ?? false;
    this.#epochs = options.epochs ?? Infinity;
    this.#labels = options.labels ?? "int32";
    this.#prefetch = options.prefetch ?? true;
    if (this.#dropLast && batchSize > n) {
      throw new RangeError(
        `${where}: batchSize ${batchSize} exceeds its ${n} records and dropLast is set, so no batch would ` +
          `ever be produced; use a smaller batch or dropLast: false`,
      );
    }
    if (!Number.isSafeInteger(this.#seed) || this.#seed < 0) {
      throw new RangeError(`${where}: seed ${this.#seed} is not a non-negative integer`);
    }
    if (!Number.isInteger(this.#window) || this.#window < 1) {
      throw new RangeError(`${where}: shuffleWindow ${this.#window} is not an integer ≥ 1`);
    }
    if (!(this.#epochs >= 0)) throw new RangeError(`${where}: epochs ${this.#epochs} is negative`);
    if (this.#labels === "onehot" && source.target !== undefined && source.classes < 1) {
      throw new RangeError(`${where}: one-hot labels need the number of classes, which the manifest lacks`);
    }
    const start = options.position ?? { epoch: 0, offset: 0 };
    if (
      !Number.isSafeInteger(start.epoch) || start.epoch < 0 || !Number.isInteger(start.offset) ||
      start.offset < 0 || start.offset > n
    ) {
      throw new RangeError(
        `${where}: position ${JSON.stringify(start)} is not an epoch ≥ 0 and an offset in 0..${n}`,
      );
    }
    this.#source = { ...source, target: this.#labels === "none" ? undefined : source.target };
    this.#cursor = { epoch: start.epoch, offset: start.offset };
    this.#delivered = { ...this.#cursor };
  }

  /** Batches per epoch with these options. */
  get batchesPerEpoch(): number {
    const n = this.#source.count;
    return this.#dropLast ? Math.floor(n / this.#batchSize) : Math.ceil(n / this.#batchSize);
  }

  /** The position of the next batch, to save with a checkpoint and pass back as `position`. */
  position(): IteratorPosition {
    return this.#normalize(this.#delivered);
  }

  /** Moves to the next epoch when the current one has no (full, if dropLast) batch left. */
  #normalize(p: IteratorPosition): IteratorPosition {
    const rest = this.#source.count - p.offset;
    if (rest <= 0 || (this.#dropLast && rest < this.#batchSize)) return { epoch: p.epoch + 1, offset: 0 };
    return { ...p };
  }

  /** The next batch, as the async iterator protocol wants it; `done` only when `epochs` is reached. */
  next(): Promise<IteratorResult<Batch, undefined>> {
    const result = this.#queue.then(() => this.#next());
    this.#queue = result.catch(() => {});
    return result;
  }

  /** The next batch; throws when the iterator is exhausted (only possible with `epochs`). */
  async nextBatch(): Promise<Batch> {
    const result = await this.next();
    if (result.done) {
      throw new RangeError(
        `Cannot take another batch of split '${this.#source.split}': all ${this.#epochs} epochs were read`,
      );
    }
    return result.value;
  }

  async #next(): Promise<IteratorResult<Batch, undefined>> {
    if (this.#closed) return { done: true, value: undefined };
    let pending = this.#pending;
    if (this.#timer !== undefined) {
      // Asked for before the read-ahead started (a caller with no work of its own between batches):
      // build now rather than wait for the macrotask.
      clearImmediate(this.#timer);
      this.#timer = undefined;
      pending = undefined;
    }
    pending ??= this.#build();
    this.#pending = undefined;
    const batch = await pending;
    if (batch === undefined) return { done: true, value: undefined };
    this.#delivered = { epoch: batch.epoch, offset: batch.offset + batch.size };
    if (this.#prefetch && !this.#closed) {
      // A macrotask, so that the build runs once the caller awaits its own work, not before it.
      const ahead = new Promise<void>((resolve) => {
        this.#timer = setImmediate(() => {
          this.#timer = undefined;
          resolve();
        });
      }).then(() => (this.#closed ? undefined : this.#build()));
      ahead.catch(() => {}); // reported by the next call to next()
      this.#pending = ahead;
    }
    return { done: false, value: batch };
  }

  /** Stops prefetching, waits for reads in flight, and releases loaded shards. */
  async close(): Promise<void> {
    this.#closed = true;
    // A build whose macrotask has not run yet never will; one that started is waited for.
    const started = this.#timer === undefined ? this.#pending : undefined;
    if (this.#timer !== undefined) clearImmediate(this.#timer);
    this.#timer = undefined;
    const inFlight = [this.#queue, ...this.#windows.values(), ...(started ? [started] : [])];
    this.#pending = undefined;
    await Promise.allSettled(inFlight);
    this.#windows.clear();
    this.#epochWindows.clear();
  }

  /** Ends a `for await` loop early. */
  async return(): Promise<IteratorResult<Batch, undefined>> {
    await this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #windowsOf(epoch: number): ShuffleWindow[] {
    let windows = this.#epochWindows.get(epoch);
    if (windows === undefined) {
      windows = epochWindows(this.#source.shardCounts, {
        seed: this.#seed,
        epoch,
        window: this.#shuffle ? this.#window : this.#source.shardCounts.length,
      });
      this.#epochWindows.set(epoch, windows);
      for (const e of this.#epochWindows.keys()) if (e < epoch - 1) this.#epochWindows.delete(e);
    }
    return windows;
  }

  /** The loaded window `w` of `epoch`, and a read-ahead of the window after it. */
  #loadWindow(epoch: number, w: number): Promise<LoadedWindow> {
    const key = `${epoch}/${w}`;
    const loaded = this.#windowPromise(epoch, w);
    const windows = this.#windowsOf(epoch);
    const [nextEpoch, nextW] = w + 1 < windows.length ? [epoch, w + 1] : [epoch + 1, 0];
    const nextKey = `${nextEpoch}/${nextW}`;
    if (nextEpoch < this.#epochs) this.#windowPromise(nextEpoch, nextW).catch(() => {});
    for (const k of this.#windows.keys()) if (k !== key && k !== nextKey) this.#windows.delete(k);
    return loaded;
  }

  #windowPromise(epoch: number, w: number): Promise<LoadedWindow> {
    const key = `${epoch}/${w}`;
    let loaded = this.#windows.get(key);
    if (loaded === undefined) {
      const window = this.#windowsOf(epoch)[w]!;
      const global = window.shards.length === this.#source.shardCounts.length;
      loaded = (async () => {
        // A global window keeps the shards in manifest order, so the split's cached columns serve every epoch.
        const columns = global && window.shards.every((s, i) => s === i)
          ? await this.#source.loadAll()
          : await this.#source.loadShards(window.shards);
        const order = this.#shuffle ? permutation(window.count, window.seed) : identity(window.count);
        return {
          window,
          columns,
          order,
          splitIndex: global ? undefined : splitIndexOf(window, this.#source.shardCounts),
        };
      })();
      this.#windows.set(key, loaded);
    }
    return loaded;
  }

  async #build(): Promise<Batch | undefined> {
    const { epoch, offset } = this.#normalize(this.#cursor);
    if (epoch >= this.#epochs) return undefined;
    const source = this.#source;
    const size = Math.min(this.#batchSize, source.count - offset);
    const x = source.transform.allocate(size);
    const labels = source.target === undefined ? undefined : new Int32Array(size);
    const indices = new Int32Array(size);
    const rng = source.transform.needsNoise
      ? new Rng(mixSeed(this.#seed, NOISE_STREAM, epoch, offset))
      : undefined;
    const windows = this.#windowsOf(epoch);
    let at = 0;
    while (at < size) {
      const pos = offset + at;
      const w = windows.findIndex((win) => pos < win.start + win.count);
      const { window, columns, order, splitIndex } = await this.#loadWindow(epoch, w);
      const from = pos - window.start;
      const to = Math.min(window.count, from + size - at);
      source.transform.gather(columns[source.x]!, order, { from, to, at }, x, rng);
      const labelColumn = labels === undefined ? undefined : columns[source.target!]!;
      for (let k = from; k < to; k++) {
        const id = order[k]!;
        indices[at + k - from] = splitIndex === undefined ? id : splitIndex[id]!;
        if (labels !== undefined) labels[at + k - from] = labelColumn![id]!;
      }
      at += to - from;
    }
    this.#cursor = { epoch, offset: offset + size };
    const batch: Batch = { x, dims: source.transform.dims(size), size, epoch, offset, indices };
    if (labels !== undefined && this.#labels !== "none") {
      const { y, dims } = formatLabels(labels, { format: this.#labels, classes: source.classes });
      batch.y = y;
      batch.yDims = dims;
    }
    return batch;
  }
}

function identity(n: number): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  return ids;
}

/** Split index of each record of a window whose shards are concatenated in `window.shards` order. */
function splitIndexOf(window: ShuffleWindow, shardCounts: readonly number[]): Int32Array {
  const starts: number[] = [];
  let s = 0;
  for (const c of shardCounts) {
    starts.push(s);
    s += c;
  }
  const out = new Int32Array(window.count);
  let k = 0;
  for (const shard of window.shards) {
    for (let i = 0; i < shardCounts[shard]!; i++) out[k++] = starts[shard]! + i;
  }
  return out;
}
