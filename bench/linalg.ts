/**
 * Host-side numerics benchmark (`deno task bench linalg`): the time of each `numerics/` routine at
 * n = 256 and 1024 (and the singular values of a 2048×1024 Gaussian matrix, the Muon study's other
 * shape), best of up to three runs, with NumPy/SciPy's time on the same matrices beside it.
 *
 * The reference runs in one /usr/bin/python3 process with OpenBLAS pinned to one thread (our code is
 * single-threaded too) that times one routine per request, right after ours of the same routine, so
 * the two columns see the same machine load; the matrices travel as raw float64 files, so both sides
 * factor identical inputs. Without python3 + SciPy the column says "—" and a note says why.
 *
 * @module
 */
import { expm } from "../numerics/expm.ts";
import { logm } from "../numerics/logm.ts";
import { inverse, lu, slogdet, solve } from "../numerics/lu.ts";
import { add, matmul, type Matrix, matrix, scale, transpose } from "../numerics/matrix.ts";
import { optimalTransport } from "../numerics/optimal_transport.ts";
import { largestSingularValue } from "../numerics/power_iteration.ts";
import { qr } from "../numerics/qr.ts";
import { gaussianMatrix, randomOrthogonal } from "../numerics/random_orthogonal.ts";
import { sqrtm } from "../numerics/sqrtm.ts";
import { singularValues, svd } from "../numerics/svd.ts";
import { symmetricEigen } from "../numerics/sym_eigen.ts";
import { Rng } from "../stages/data/random.ts";
import { fmt, printLoad, printTable } from "./_report.ts";

const SIZES = [256, 1024];
const TALL: [number, number] = [2048, 1024];
/** Stop repeating a routine once its runs have taken this long (seconds). */
const BUDGET = 3;

/** The minimum wall time over up to three runs, fewer when a run is slow. */
function best(f: () => unknown): number {
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3) {
    const t = performance.now();
    f();
    times.push((performance.now() - t) / 1000);
    if ((performance.now() - start) / 1000 > BUDGET) break;
  }
  return Math.min(...times);
}

/** The routines, by the names the Python side uses too. `flops` gives GFLOP/s where it is standard. */
interface Inputs {
  a: Matrix;
  b: Matrix;
  e: Matrix;
  sym: Matrix;
  rhs: Float64Array;
}
const ROUTINES: { name: string; run: (x: Inputs) => unknown; flops?: (n: number) => number }[] = [
  { name: "matmul A·A", run: (x) => matmul(x.a, x.a), flops: (n) => 2 * n ** 3 },
  { name: "lu", run: (x) => lu(x.a), flops: (n) => (2 / 3) * n ** 3 },
  { name: "slogdet", run: (x) => slogdet(x.a) },
  { name: "solve (one vector)", run: (x) => solve(x.a, x.rhs) },
  { name: "inverse", run: (x) => inverse(x.a) },
  { name: "qr (reduced Q and R)", run: (x) => qr(x.a) },
  { name: "randomOrthogonal", run: (x) => randomOrthogonal(x.a.rows, new Rng(1)) },
  { name: "symmetricEigen values", run: (x) => symmetricEigen(x.sym, { vectors: false }) },
  { name: "symmetricEigen values+vectors", run: (x) => symmetricEigen(x.sym) },
  { name: "singularValues", run: (x) => singularValues(x.a) },
  { name: "svd (thin U, s, V)", run: (x) => svd(x.a) },
  { name: "expm(A/√n)", run: (x) => expm(x.b) },
  { name: "sqrtm(expm(A/√n))", run: (x) => sqrtm(x.e) },
  { name: "logm(expm(A/√n))", run: (x) => logm(x.e) },
  { name: "power iteration ×100", run: (x) => largestSingularValue(x.a, { iterations: 100, tolerance: 0 }) },
];

const PYTHON = String.raw`
import json, sys, time
import numpy as np, scipy, scipy.linalg as sla, scipy.optimize as so

def best(f, budget=${BUDGET}):
    times, start = [], time.perf_counter()
    while len(times) < 3:
        t = time.perf_counter(); f(); times.append(time.perf_counter() - t)
        if time.perf_counter() - start > budget: break
    return min(times)

def power(a):
    u = np.random.default_rng(0).standard_normal(a.shape[0]); u /= np.linalg.norm(u)
    for _ in range(100):
        v = a.T @ u; v /= np.linalg.norm(v); u = a @ v; u /= np.linalg.norm(u)

def haar(n):
    q, r = np.linalg.qr(np.random.default_rng(1).standard_normal((n, n)))
    return q * np.sign(np.diag(r))

spec = json.loads(sys.stdin.readline())
routines = {}
for n in spec["sizes"]:
    a = np.fromfile(f"{spec['dir']}/a{n}.f64").reshape(n, n)
    b = a / np.sqrt(n); e = sla.expm(b); sym = (a + a.T) / 2; rhs = a[:, 0].copy()
    for name, f in {
        "matmul A·A": lambda a=a: a @ a, "lu": lambda a=a: sla.lu_factor(a),
        "slogdet": lambda a=a: np.linalg.slogdet(a), "solve (one vector)": lambda a=a, r=rhs: np.linalg.solve(a, r),
        "inverse": lambda a=a: np.linalg.inv(a), "qr (reduced Q and R)": lambda a=a: np.linalg.qr(a),
        "randomOrthogonal": lambda n=n: haar(n), "symmetricEigen values": lambda s=sym: np.linalg.eigvalsh(s),
        "symmetricEigen values+vectors": lambda s=sym: np.linalg.eigh(s), "singularValues": lambda a=a: sla.svdvals(a),
        "svd (thin U, s, V)": lambda a=a: np.linalg.svd(a, full_matrices=False), "expm(A/√n)": lambda b=b: sla.expm(b),
        "sqrtm(expm(A/√n))": lambda e=e: sla.sqrtm(e), "logm(expm(A/√n))": lambda e=e: sla.logm(e),
        "power iteration ×100": lambda a=a: power(a),
    }.items():
        routines[f"{name} @ {n}"] = f
m, k = spec["tall"]
g = np.fromfile(f"{spec['dir']}/tall.f64").reshape(m, k)
routines["singularValues @ tall"] = lambda: sla.svdvals(g)
for lp in spec["lp"]:
    p, q, c = np.array(lp["p"]), np.array(lp["q"]), np.array(lp["cost"])
    kk = len(p)
    a_eq = np.vstack([np.kron(np.eye(kk), np.ones(kk)), np.kron(np.ones(kk), np.eye(kk))])
    b_eq = np.concatenate([p, q])
    routines["lp " + lp["name"]] = lambda c=c, a_eq=a_eq, b_eq=b_eq: so.linprog(c.ravel(), A_eq=a_eq, b_eq=b_eq, method="highs")
print(json.dumps({"versions": f"NumPy {np.__version__}, SciPy {scipy.__version__}"}), flush=True)
# One routine per request, so that each of its timings is taken right after ours of the same routine.
for line in sys.stdin:
    key = line.strip()
    print(json.dumps({"key": key, "seconds": best(routines[key]) if key in routines else None}), flush=True)
`;

interface TransportBench {
  name: string;
  p: number[];
  q: number[];
  cost: number[][];
}

function transportProblem(name: string, points: number[][], seed: number): TransportBench {
  const rng = new Rng(seed);
  const weights = () => {
    const w = points.map(() => rng.float() + 0.01);
    const s = w.reduce((x, y) => x + y, 0);
    return w.map((x) => x / s);
  };
  const cost = points.map((x) => points.map((y) => Math.hypot(...x.map((v, t) => v - y[t]!))));
  return { name, p: weights(), q: weights(), cost };
}

/** The NumPy/SciPy side: a python3 process that times one routine per request, or why it cannot. */
interface Reference {
  time(key: string): Promise<number | undefined>;
  close(): Promise<void>;
  note: string;
}

async function startReference(dir: string, lps: TransportBench[]): Promise<Reference> {
  const skipped = (why: string): Reference => ({
    time: () => Promise.resolve(undefined),
    close: () => Promise.resolve(),
    note: `NumPy/SciPy column skipped: ${why}`,
  });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("/usr/bin/python3", {
      args: ["-c", PYTHON],
      env: { OPENBLAS_CORETYPE: "Cooperlake", OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    return skipped(`/usr/bin/python3 is not runnable (${(error as Error).message})`);
  }
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const readLine = async (): Promise<string | undefined> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) return undefined;
      buffered += value;
    }
    const at = buffered.indexOf("\n");
    const line = buffered.slice(0, at);
    buffered = buffered.slice(at + 1);
    return line;
  };
  const send = (text: string) => writer.write(new TextEncoder().encode(text + "\n"));
  const failure = async () => {
    const stderr = await new Response(child.stderr).text();
    return stderr.trim().split("\n").pop() ?? "no output";
  };
  await send(JSON.stringify({ dir, sizes: SIZES, tall: TALL, lp: lps }));
  const ready = await readLine();
  if (ready === undefined) return skipped(`python3 failed (${await failure()})`);
  const { versions } = JSON.parse(ready) as { versions: string };
  return {
    note: `NumPy/SciPy: ${versions}, OpenBLAS on 1 thread, the same matrices, timed right after ours`,
    async time(key) {
      await send(key);
      const line = await readLine();
      return line === undefined
        ? undefined
        : (JSON.parse(line) as { seconds: number | null }).seconds ?? undefined;
    },
    async close() {
      await writer.close();
      await child.status;
      await child.stderr.cancel();
    },
  };
}

const dir = await Deno.makeTempDir({ prefix: "bench-linalg-" });
try {
  await printLoad("before");
  const inputs = new Map<number, Inputs>();
  for (const n of SIZES) {
    const a = gaussianMatrix(n, n, new Rng(n));
    await Deno.writeFile(`${dir}/a${n}.f64`, new Uint8Array(a.data.buffer));
    const b = scale(a, 1 / Math.sqrt(n));
    inputs.set(n, {
      a,
      b,
      e: expm(b),
      sym: scale(add(a, transpose(a)), 0.5),
      rhs: Float64Array.from({ length: n }, (_, i) => a.data[i * n]!),
    });
  }
  const tall = gaussianMatrix(TALL[0], TALL[1], new Rng(TALL[0]));
  await Deno.writeFile(`${dir}/tall.f64`, new Uint8Array(tall.data.buffer));
  const lps = [
    transportProblem(
      "1-D, 20×20 points (400 variables, 40 rows)",
      Array.from({ length: 20 }, (_, i) => [i / 19]),
      1,
    ),
    transportProblem(
      "2-D, 7×7 grid (2401 variables, 98 rows)",
      Array.from({ length: 49 }, (_, i) => [i % 7, Math.floor(i / 7)]),
      2,
    ),
  ];

  // Warm-up: every routine once on a small matrix, so that the timings below are of optimised code.
  const small = gaussianMatrix(64, 64, new Rng(64));
  const warm: Inputs = {
    a: small,
    b: scale(small, 1 / 8),
    e: expm(scale(small, 1 / 8)),
    sym: scale(add(small, transpose(small)), 0.5),
    rhs: small.data.slice(0, 64),
  };
  for (const r of ROUTINES) r.run(warm);
  const reference = await startReference(dir, lps);
  const ours = new Map<string, number>();
  const theirs = new Map<string, number | undefined>();
  const measure = async (key: string, f: () => unknown) => {
    ours.set(key, best(f));
    theirs.set(key, await reference.time(key));
  };
  for (const n of SIZES) {
    for (const r of ROUTINES) {
      await measure(`${r.name} @ ${n}`, () => r.run(inputs.get(n)!));
    }
  }
  await measure("singularValues @ tall", () => singularValues(tall));
  for (const lp of lps) {
    const cost = matrix(lp.p.length, lp.q.length, lp.cost.flat());
    await measure(`lp ${lp.name}`, () => optimalTransport(lp.p, lp.q, cost));
    // A sanity check that the bench solved what it timed (not a timing).
    const r = optimalTransport(lp.p, lp.q, cost);
    if (Math.abs(r.cost - r.dualCost) > 1e-9) throw new Error(`bench LP ${lp.name}: primal ≠ dual`);
  }
  await reference.close();
  const note = reference.note;

  const rows = [];
  for (const r of ROUTINES) {
    for (const n of SIZES) {
      const key = `${r.name} @ ${n}`;
      const t = ours.get(key)!;
      const ref = theirs.get(key);
      rows.push([
        r.name,
        String(n),
        t,
        ref,
        ref ? t / ref : undefined,
        r.flops ? fmt(r.flops(n) / t / 1e9) : "",
      ]);
    }
  }
  const tallKey = "singularValues @ tall";
  rows.push([
    "singularValues",
    `${TALL[0]}×${TALL[1]}`,
    ours.get(tallKey),
    theirs.get(tallKey),
    theirs.get(tallKey) ? ours.get(tallKey)! / theirs.get(tallKey)! : undefined,
    "",
  ]);
  for (const lp of lps) {
    const key = `lp ${lp.name}`;
    rows.push([
      "optimalTransport (linprog)",
      lp.name,
      ours.get(key),
      theirs.get(key),
      theirs.get(key) ? ours.get(key)! / theirs.get(key)! : undefined,
      "vs HiGHS",
    ]);
  }
  printTable(
    "numerics/ on one core: seconds per call (best of ≤ 3), float64",
    ["routine", "n", "ours (s)", "NumPy/SciPy (s)", "ours / theirs", "GFLOP/s"],
    rows,
    note,
  );
  await printLoad("after");
} finally {
  await Deno.remove(dir, { recursive: true });
}
