/**
 * Lock files that know their owner. A lock is a file created exclusively (O_EXCL) holding the owner's
 * pid and process start time; a lock whose owner is gone (killed with -9, crashed, rebooted) is stale
 * and is broken by the next process that wants it. The start time guards against pid reuse.
 *
 * @module
 */
import { hostname } from "node:os";

export interface ProcessId {
  pid: number;
  /** Process start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  start: number;
  host: string;
}

export interface LockOwner extends ProcessId {
  /** What the owner is doing, shown to waiters, e.g. "run 20261122-ab12: computing train". */
  purpose: string;
  since: string;
}

function processStart(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  } catch {
    return null;
  }
}

let self: ProcessId | undefined;

/** This process's identity. */
export function currentProcess(): ProcessId {
  self ??= { pid: Deno.pid, start: processStart(Deno.pid) ?? 0, host: hostname() };
  return self;
}

/** Whether the process `id` still runs. A process on another host is assumed alive (we cannot tell). */
export function isAlive(id: ProcessId): boolean {
  if (id.host !== currentProcess().host) return true;
  const start = processStart(id.pid);
  return start !== null && start === id.start;
}

/** Reads a lock file's owner, or null when the file is missing or unreadable (a lock being written). */
export function readLockOwner(path: string): LockOwner | null {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as LockOwner;
  } catch {
    return null;
  }
}

/** A held lock; release it with `release()` or `using`. */
export class HeldLock implements Disposable {
  constructor(readonly path: string) {}
  release(): void {
    try {
      Deno.removeSync(this.path);
    } catch {
      // already gone: broken as stale by someone else, which only happens if we were presumed dead
    }
  }
  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * Tries once to take the lock at `path`. Returns the lock, or the live owner that holds it.
 * A stale lock (dead owner) is broken and retried.
 */
export function tryLock(path: string, purpose: string): HeldLock | LockOwner {
  const owner: LockOwner = { ...currentProcess(), purpose, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      // Write the owner to a private file, then link it into place: the lock appears with its content,
      // so a reader never sees an empty lock file.
      const tmp = `${path}.${owner.pid}.${crypto.randomUUID()}`;
      Deno.writeTextFileSync(tmp, JSON.stringify(owner));
      try {
        Deno.linkSync(tmp, path);
        return new HeldLock(path);
      } finally {
        Deno.removeSync(tmp);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const holder = readLockOwner(path);
    if (holder && isAlive(holder)) return holder;
    if (holder === null) {
      // Unreadable: a foreign or corrupt file. Older than a few seconds means nobody is writing it.
      const age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
      if (age < 5_000) return { pid: 0, start: 0, host: "?", purpose: "unknown", since: "" };
    }
    breakStaleLock(path, holder);
  }
  throw new Error(`Cannot take lock ${path}: it keeps being re-created; is another process looping on it?`);
}

/**
 * Removes a stale lock, unless it changed owner in between (then the new owner keeps it).
 *
 * Removal happens under a short-lived "break" lock and re-reads the owner under it: otherwise two
 * processes that both saw the dead owner could race, and the slower one would delete the lock the
 * faster one had just taken. Creation needs no break lock, since it can only follow a removal.
 */
function breakStaleLock(path: string, seen: LockOwner | null): void {
  const breaker = `${path}.break`;
  try {
    Deno.writeTextFileSync(breaker, String(Deno.pid), { createNew: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    // Someone is breaking it right now; a break lock older than 10 s belongs to a dead process.
    const age = Date.now() - (Deno.statSync(breaker).mtime?.getTime() ?? 0);
    if (age > 10_000) Deno.removeSync(breaker);
    return;
  }
  try {
    const now = readLockOwner(path);
    if (now && seen && (now.pid !== seen.pid || now.start !== seen.start)) return;
    if (now && isAlive(now)) return;
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  } finally {
    Deno.removeSync(breaker);
  }
}

/**
 * Takes the lock at `path`, waiting while a live process holds it. `onWait` is called once when the
 * wait starts, with the holder, so the caller can tell the user who it waits for.
 */
export async function lock(
  path: string,
  purpose: string,
  options: { onWait?: (holder: LockOwner) => void; pollMs?: number; signal?: AbortSignal } = {},
): Promise<HeldLock> {
  let told = false;
  while (true) {
    const result = tryLock(path, purpose);
    if (result instanceof HeldLock) return result;
    if (!told) options.onWait?.(result);
    told = true;
    options.signal?.throwIfAborted();
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
  }
}
