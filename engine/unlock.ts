/**
 * `deno task unlock`: breaks the locks that block a store and finishes the records of the runs that
 * held them.
 *
 * Stale locks of this host (their owner is dead, or a zombie) are broken by the next run anyway; what
 * needs the user is a lock held on another host (a store shared over NFS, a container that was
 * restarted under another name): this host cannot tell whether that process still runs, so runs wait
 * for it and say so. `--host NAME` declares that host's processes gone: their locks are broken and their
 * runs recorded as interrupted. Locks of live processes on this host are never broken: stop the process.
 *
 * Breaking a lock whose owner in fact still runs costs duplicated work, not a wrong result: objects are
 * content-addressed and committed by one rename, and key records are written whole.
 *
 * @module
 */
import { recoverDeadRuns } from "./history.ts";
import { breakLock, describeHolder, type LockOwner, processState, readLockOwner } from "./process_lock.ts";
import type { Store } from "./store.ts";

export interface UnlockEntry {
  /** Relative to the store, e.g. "locks/store.lock". */
  path: string;
  /** Why it was (or would be) removed, or why it is kept. */
  why: string;
}

export interface UnlockReport {
  removed: UnlockEntry[];
  kept: UnlockEntry[];
  /** Runs whose record was finished as interrupted. */
  recovered: string[];
}

/**
 * Breaks the stale locks of `store` and those held on `options.hosts` (declared gone), and finishes the
 * records of their runs. With `dryRun`, only reports what it would do.
 */
export async function unlockStore(
  store: Store,
  options: { hosts?: readonly string[]; dryRun?: boolean } = {},
): Promise<UnlockReport> {
  const hosts = new Set(options.hosts ?? []);
  const gone = (owner: { pid: number; start: number; host: string }) =>
    processState(owner) === "dead" || (processState(owner) === "unknown" && hosts.has(owner.host));
  const report: UnlockReport = { removed: [], kept: [], recovered: [] };
  const dir = `${store.root}/locks`;
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    // no locks folder: nothing is locked
  }
  for (const name of names.filter((n) => n.endsWith(".lock"))) {
    const path = `${dir}/${name}`;
    const entry = { path: `locks/${name}` };
    const owner = readLockOwner(path);
    if (owner === null) {
      let age = 0;
      try {
        age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
      } catch {
        continue; // released meanwhile
      }
      if (age < 5_000) report.kept.push({ ...entry, why: "being written" });
      else if (options.dryRun || breakLock(path, null, () => false)) {
        report.removed.push({ ...entry, why: "not a lock file (unreadable)" });
      }
      continue;
    }
    if (!gone(owner)) {
      report.kept.push({ ...entry, why: keptReason(owner) });
      continue;
    }
    if (options.dryRun || breakLock(path, owner, gone)) {
      report.removed.push({ ...entry, why: removedReason(owner) });
    }
  }
  if (!options.dryRun) {
    report.recovered = await recoverDeadRuns(store, gone);
    // Temp files of killed processes (and of attempts stopped by a full disk).
    const leftovers = await store.cleanLeftovers({ deep: true });
    for (const path of leftovers) report.removed.push({ path, why: "left behind by a process that is gone" });
  }
  return report;
}

function keptReason(owner: LockOwner): string {
  if (processState(owner) === "unknown") {
    return `held by ${describeHolder(owner)}`.replace(
      /, which this host cannot check; .*$/,
      `: if that host is gone, run deno task unlock --host ${owner.host}`,
    );
  }
  return `held by ${describeHolder(owner)}, which is running: stop it (kill ${owner.pid}) to release it`;
}

function removedReason(owner: LockOwner): string {
  return processState(owner) === "unknown"
    ? `held by pid ${owner.pid} on host ${owner.host}, declared gone (${owner.purpose})`
    : `held by pid ${owner.pid}, which is gone (${owner.purpose})`;
}
