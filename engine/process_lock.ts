/**
 * Lock files that know their owner. A lock is a file created exclusively (a hard link of a file that
 * already holds the owner's pid, process start time and host); a lock whose owner is gone (killed with
 * -9, crashed, rebooted, or killed but never reaped: a zombie) is stale and is broken by the next
 * process that wants it. The start time guards against pid reuse.
 *
 * A lock held on another host cannot be checked from here: waiters say so, name the host, and point at
 * `deno task unlock --host NAME` (unlock.ts), which breaks them once the user knows that host is gone.
 *
 * @module
 */
import { hostname } from "node:os";
import { lockOwnerSchema, readStoreFile } from "./store_schema.ts";

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

/** State (field 3 of /proc/<pid>/stat: R, S, D, Z, X, …) and start time (field 22) of a process. */
function processInfo(pid: number): { state: string; start: number } | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, start: Number(fields[19]) };
  } catch {
    return null;
  }
}

let self: ProcessId | undefined;

/** This process's identity. */
export function currentProcess(): ProcessId {
  self ??= { pid: Deno.pid, start: processInfo(Deno.pid)?.start ?? 0, host: hostname() };
  return self;
}

/**
 * Whether the process `id` still runs: "alive", "dead" (gone, its pid reused, or a zombie: killed but
 * not yet reaped by a parent that never waits, such as a supervisor or PID 1 in a container without
 * init), or "unknown" for a process on another host.
 */
export function processState(id: ProcessId): "alive" | "dead" | "unknown" {
  if (id.host !== currentProcess().host) return "unknown";
  const info = processInfo(id.pid);
  if (info === null || info.start !== id.start) return "dead";
  return info.state === "Z" || info.state === "X" ? "dead" : "alive";
}

/** Whether the process `id` may still run. A process on another host is assumed alive (we cannot tell). */
export function isAlive(id: ProcessId): boolean {
  return processState(id) !== "dead";
}

/** Who holds a lock, for a waiting message: the pid, the host when it is another one, and the purpose. */
export function describeHolder(holder: LockOwner): string {
  if (processState(holder) !== "unknown") return `pid ${holder.pid} (${holder.purpose})`;
  return `pid ${holder.pid} on host ${holder.host} (${holder.purpose}), which this host cannot check; ` +
    `if that host is gone or its run was killed, break its locks with \`deno task unlock --host ${holder.host}\``;
}

/** Reads a lock file's owner, or null when the file is missing, unreadable or not a lock (wrong shape). */
export function readLockOwner(path: string): LockOwner | null {
  const read = readStoreFile(path, lockOwnerSchema);
  return read.ok ? read.value : null;
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
 * Tries to take the lock at `path`. Returns the lock, the live owner that holds it, or null when the lock
 * is in flux (released or being written just now): then try again shortly. A stale lock (dead owner) is
 * broken and retried. Throws only for file-system errors (a full disk, a read-only store).
 */
export function tryLock(path: string, purpose: string): HeldLock | LockOwner | null {
  const owner: LockOwner = { ...currentProcess(), purpose, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    // Write the owner to a private file, then link it into place: the lock appears with its content,
    // so a reader never sees an empty lock file. The private file goes in every case, also when the
    // write fails half-way (a full disk), so that no attempt leaves one behind.
    const tmp = `${path}.${owner.pid}.${crypto.randomUUID()}`;
    try {
      Deno.writeTextFileSync(tmp, JSON.stringify(owner));
      Deno.linkSync(tmp, path);
      return new HeldLock(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    } finally {
      try {
        Deno.removeSync(tmp);
      } catch {
        // never created (the write failed at once)
      }
    }
    const holder = readLockOwner(path);
    if (holder && isAlive(holder)) return holder;
    if (holder === null) {
      let mtime: number;
      try {
        mtime = Deno.statSync(path).mtime?.getTime() ?? 0;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue; // released just now: try again
        throw error;
      }
      // Unreadable: a foreign or corrupt file. Older than a few seconds means nobody is writing it.
      if (Date.now() - mtime < 5_000) return null;
    }
    breakStaleLock(path, holder);
  }
  return null; // taken and released by others all along: the caller polls again
}

/**
 * Removes a stale lock, unless it changed owner in between (then the new owner keeps it).
 *
 * Removal happens under a short-lived "break" lock and re-reads the owner under it: otherwise two
 * processes that both saw the dead owner could race, and the slower one would delete the lock the
 * faster one had just taken. Creation needs no break lock, since it can only follow a removal.
 */
function breakStaleLock(path: string, seen: LockOwner | null): void {
  breakLock(path, seen, (owner) => !isAlive(owner));
}

/**
 * Removes the lock at `path` if its owner is still `seen` (null: an unreadable file) and `breakable`
 * says so of it, under the break lock (see breakStaleLock). Returns whether it removed the lock.
 * unlock.ts uses it with a wider `breakable` for the locks of hosts the user declared gone.
 */
export function breakLock(
  path: string,
  seen: LockOwner | null,
  breakable: (owner: LockOwner) => boolean,
): boolean {
  const breaker = `${path}.break`;
  try {
    Deno.writeTextFileSync(breaker, String(Deno.pid), { createNew: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) {
      try {
        Deno.removeSync(breaker); // created but not written (a full disk): leave nothing behind
      } catch {
        // not created
      }
      throw error;
    }
    // Someone is breaking it right now; a break lock older than 10 s belongs to a dead process.
    try {
      const age = Date.now() - (Deno.statSync(breaker).mtime?.getTime() ?? 0);
      if (age > 10_000) Deno.removeSync(breaker);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // the breaker just finished
    }
    return false;
  }
  try {
    const now = readLockOwner(path);
    if (now && seen && (now.pid !== seen.pid || now.start !== seen.start || now.host !== seen.host)) {
      return false;
    }
    if (now && !breakable(now)) return false;
    Deno.removeSync(path);
    return true;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return false;
  } finally {
    try {
      Deno.removeSync(breaker);
    } catch {
      // removed as stale by a process that thought we were dead
    }
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
    if (options.signal?.aborted) throw new LockWaitInterrupted(path, options.signal.reason);
    const result = tryLock(path, purpose);
    if (result instanceof HeldLock) return result;
    if (result && !told) {
      options.onWait?.(result);
      told = true;
    }
    // A lock in flux is retried at once-ish; a held one is polled.
    await new Promise((r) => setTimeout(r, result ? (options.pollMs ?? 100) : 10));
  }
}

/** Thrown by `lock` when its signal is aborted while it waits (Ctrl-C, SIGTERM). */
export class LockWaitInterrupted extends Error {
  override name = "LockWaitInterrupted";
  constructor(readonly path: string, readonly reason: unknown) {
    super(`interrupted while waiting for the lock ${path}`);
  }
}
