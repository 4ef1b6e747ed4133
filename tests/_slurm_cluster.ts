/**
 * A one-node Slurm cluster on loopback for tests and benchmarks: Debian's slurmctld and slurmd 22.05,
 * started as children of this process with a config of their own in a temp folder (SLURM_CONF), so that
 * nothing goes into /etc and nothing stays running. It needs root (the daemons run as SlurmUser=root)
 * and the packages slurmctld, slurmd and slurm-client (tests/_prerequisites.ts installs them).
 *
 * Authentication is auth/none: any local caller is trusted, which is right for a throwaway cluster on
 * 127.0.0.1 and spares starting munged. Ports are picked free, so that two test runs do not meet.
 *
 * @module
 */

export interface LoopbackCluster {
  /** The temp folder: config, state, spool, logs. */
  dir: string;
  /** The config file; pass `env` to every process that talks to the cluster. */
  conf: string;
  env: Record<string, string>;
  cpus: number;
  /** Stops both daemons (by pid) and removes the folder. */
  stop(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function memoryMB(): number {
  const m = /MemTotal:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/meminfo"));
  return m ? Math.floor(Number(m[1]) / 1024 * 0.8) : 4000;
}

async function text(cmd: string, args: string[], env: Record<string, string>): Promise<string | null> {
  try {
    const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** Writes the config, starts slurmctld and slurmd, and waits until the node is idle. */
export async function startLoopbackCluster(
  options: { cpus?: number; timeoutMs?: number } = {},
): Promise<LoopbackCluster> {
  const dir = await Deno.makeTempDir({ prefix: "slurm-loop-" });
  const host = Deno.hostname().split(".")[0]!;
  const cpus = options.cpus ?? navigator.hardwareConcurrency;
  await Deno.mkdir(`${dir}/state`);
  await Deno.mkdir(`${dir}/spool`);
  const conf = `${dir}/slurm.conf`;
  await Deno.writeTextFile(
    conf,
    [
      "ClusterName=loop",
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${freePort()}`,
      `SlurmdPort=${freePort()}`,
      "SlurmUser=root",
      "SlurmdUser=root",
      "AuthType=auth/none",
      "CredType=cred/none",
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core",
      "MpiDefault=none",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "ReturnToService=2",
      // Finished jobs stay visible to squeue -t all for 5 minutes: how the executor learns how a job ended.
      "MinJobAge=300",
      "KillWait=5",
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/slurmctld.log`,
      `SlurmdLogFile=${dir}/slurmd.log`,
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memoryMB()} State=UNKNOWN`,
      "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
      "",
    ].join("\n"),
  );
  const env = { SLURM_CONF: conf };
  const start = (cmd: string, args: string[]) =>
    new Deno.Command(cmd, { args, env, stdin: "null", stdout: "null", stderr: "null" }).spawn();
  const ctld = start("slurmctld", ["-D", "-i"]);
  const slurmd = start("slurmd", ["-D", "-N", host]); // the node name, whatever `hostname -s` says
  const stop = async () => {
    for (const child of [slurmd, ctld]) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    for (const child of [slurmd, ctld]) {
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }, 10_000);
      await child.status;
      clearTimeout(timer);
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while ((await text("sinfo", ["-h", "-o", "%T"], env)) !== "idle") {
    if (Date.now() > deadline) {
      const tail = async (f: string) =>
        (await Deno.readTextFile(`${dir}/${f}`).catch(() => "")).split("\n").slice(-8).join("\n");
      const logs = `slurmctld.log:\n${await tail("slurmctld.log")}\nslurmd.log:\n${await tail("slurmd.log")}`;
      await stop();
      throw new Error(
        `the loopback Slurm cluster did not become idle within ${options.timeoutMs ?? 30_000} ms\n${logs}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { dir, conf, env, cpus, stop };
}

/** Job ids, names and states that the cluster still remembers (`squeue -t all`). */
export async function jobs(cluster: LoopbackCluster): Promise<{ id: string; name: string; state: string }[]> {
  const out = await text("squeue", ["-h", "-t", "all", "-o", "%i|%j|%T"], cluster.env);
  return (out ?? "").split("\n").filter(Boolean).map((l) => {
    const [id, name, state] = l.split("|");
    return { id: id!, name: name!, state: state! };
  });
}
