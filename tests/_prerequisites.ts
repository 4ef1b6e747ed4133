/**
 * What the tests need beyond Deno and npm, installed before they run (`deno task test` runs this
 * first): Debian packages for the real parts the tests use. As root it installs what is missing with
 * apt-get; otherwise it uses `sudo -n` when that works, and else stops with the exact command to run.
 * Nothing is skipped for want of a package: a test suite that skips is not the suite that passes.
 *
 * @module
 */

/** Debian package → why the tests need it. */
export const TEST_PACKAGES: Readonly<Record<string, string>> = {
  chromium: "reports are checked in a real browser (headless)",
  "fonts-noto-cjk": "the articles' Chinese titles render in reports and screenshots",
  "python3-onnx": "every emitted graph passes the official ONNX checker",
  "python3-torch": "gradients are cross-checked against PyTorch float64 autograd",
  "libopenblas0-openmp": "PyTorch's BLAS at a usable speed (its reference BLAS is 20× slower)",
  "python3-scipy": "the matrix square root of classifier-FID is checked against SciPy",
  "python3-sklearn": "the scikit-learn 8×8 digits data source",
  "dataset-fashion-mnist": "the Fashion-MNIST data source (IDX files)",
  slurmctld: "--executor slurm runs on a one-node Slurm cluster on loopback (its controller)",
  slurmd: "--executor slurm runs on a one-node Slurm cluster on loopback (its node daemon)",
  "slurm-client": "--executor slurm submits stages with srun and reads squeue, sinfo, scancel",
};

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return success;
  } catch {
    return false; // the command does not exist
  }
}

/** The packages of `wanted` that dpkg does not report as installed. */
export async function missingPackages(wanted: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const p of wanted) {
    const out = await new Deno.Command("dpkg-query", {
      args: ["-W", "-f=${Status}", p],
      stdout: "piped",
      stderr: "null",
    })
      .output().catch(() => null);
    const status = out ? new TextDecoder().decode(out.stdout) : "";
    if (!status.includes("install ok installed")) missing.push(p);
  }
  return missing;
}

async function run(prefix: string[], args: string[]): Promise<boolean> {
  const [cmd, ...rest] = [...prefix, ...args];
  const { success } = await new Deno.Command(cmd!, {
    args: rest,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return success;
}

/** Installs what is missing; returns a message when it could not (exit code 1 then). */
export async function ensurePackages(packages: readonly string[]): Promise<string | null> {
  if (!(await succeeds("dpkg-query", ["--version"]))) {
    return `The tests need these Debian packages, and this is not a Debian system (no dpkg): ${
      packages.join(" ")
    }.`;
  }
  const missing = await missingPackages(packages);
  if (missing.length === 0) return null;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  const why = missing.map((p) => `  ${p}: ${TEST_PACKAGES[p] ?? ""}`).join("\n");
  const root = Deno.uid() === 0;
  const prefix = root ? [] : (await succeeds("sudo", ["-n", "true"])) ? ["sudo", "-n"] : null;
  if (prefix === null) {
    return `The tests need Debian packages that are not installed:\n${why}\nInstall them, then run the tests again:\n  sudo ${command}`;
  }
  console.error(`installing Debian packages the tests need: ${missing.join(" ")}`);
  const ok = (await run(prefix, ["apt-get", "update", "-qq"])) &&
    (await run(prefix, ["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...missing]));
  const still = ok ? await missingPackages(missing) : missing;
  if (still.length > 0) {
    return `Could not install ${still.join(" ")} with apt-get (is a Debian mirror reachable?). Run:\n  ${
      root ? "" : "sudo "
    }${command}`;
  }
  return null;
}

if (import.meta.main) {
  const problem = await ensurePackages(Object.keys(TEST_PACKAGES));
  if (problem) {
    console.error(problem);
    Deno.exit(1);
  }
}
