#!/usr/bin/env bash
# The GPU check, on a machine with an NVIDIA GPU (CUDA 13 driver, PyTorch) and no network, Node or Deno.
#
#   bash gpu_check.sh [--cpu-only] [BUNDLE_DIR] [-- ARGS for bench/gpu_check.ts]
#
# $PYTHON names the Python that has PyTorch (default python3).
# BUNDLE_DIR (default: this script's folder) holds what bench/gpu_pack.ts made: bundle.tgz.NNN pieces of
# at most 64 MiB, SHA256SUMS and BUNDLE.sha256. The script
#   1. checks that there is a GPU (nvidia-smi), unless --cpu-only;
#   2. checks every piece's sha256, reassembles them, checks the whole's sha256, and unpacks it into
#      $REPRO_GPU_WORK (default /tmp/repro-gpu-check): Deno, the project, its npm packages, the CUDA
#      provider libraries;
#   3. places the provider libraries beside onnxruntime's, and puts the CUDA 13 runtime that PyTorch's
#      pip packages carry (site-packages/nvidia/*/lib) on LD_LIBRARY_PATH;
#   4. runs bench/gpu_check.ts offline: the losses of 20 steps on CUDA against CPU in plain float32
#      (NVIDIA_TF32_OVERRIDE=0), then the timings once more with TF32 allowed, each beside PyTorch.
# It ends with the results in $REPRO_GPU_WORK/results/*.json. Exit codes: 0 the check passed, 1 CUDA's
# losses differ from CPU's, 3 no usable GPU, 4 a damaged or incomplete bundle.
set -uo pipefail

cpu_only=0
if [ "${1:-}" = "--cpu-only" ]; then cpu_only=1; shift; fi
dir=$(dirname "$0")
if [ $# -gt 0 ] && [ "$1" != "--" ]; then dir=$1; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
extra=("$@")
bundle=$(cd "$dir" && pwd) || exit 4
work=${REPRO_GPU_WORK:-${TMPDIR:-/tmp}/repro-gpu-check}
python=${PYTHON:-python3} # the Python with PyTorch
say() { echo "gpu-check: $*" >&2; }
started=$(date +%s)

# 1. A GPU?
if [ "$cpu_only" = 0 ]; then
  if ! command -v nvidia-smi >/dev/null 2>&1; then
    say "no NVIDIA GPU: nvidia-smi is not installed (no NVIDIA driver). This check needs a machine with an" \
      "NVIDIA GPU and a CUDA 13 driver; 'bash gpu_check.sh --cpu-only' runs its CPU half anywhere."
    exit 3
  fi
  if ! gpus=$(nvidia-smi -L 2>&1) || ! grep -q '^GPU ' <<<"$gpus"; then
    say "no NVIDIA GPU: nvidia-smi lists none (${gpus%%$'\n'*})."
    exit 3
  fi
  echo "$gpus"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
fi

# 2. Reassemble and check.
if [ ! -f "$bundle/SHA256SUMS" ] || [ ! -f "$bundle/BUNDLE.sha256" ]; then
  say "$bundle lacks SHA256SUMS or BUNDLE.sha256: give the folder that bench/gpu_pack.ts made"
  exit 4
fi
if ! (cd "$bundle" && sha256sum --check --quiet SHA256SUMS); then
  say "the pieces named above are damaged or missing: transfer them again"
  exit 4
fi
pieces=("$bundle"/bundle.tgz.[0-9][0-9][0-9])
expected=$(cut -d' ' -f1 "$bundle/BUNDLE.sha256")
actual=$(cat "${pieces[@]}" | sha256sum | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
  say "the reassembled bundle has sha256 $actual, not $expected: pieces of two bundles mixed, or one missing"
  exit 4
fi
rm -rf "$work" && mkdir -p "$work/results" || exit 4
if ! cat "${pieces[@]}" | tar -xz -C "$work"; then
  say "cannot unpack the bundle into $work (disk full?)"
  exit 4
fi
echo "gpu-check: ${#pieces[@]} pieces checked and unpacked into $work ($(( $(date +%s) - started )) s)"

# 3. Install: Deno, the npm packages (offline), the CUDA provider libraries.
export PATH="$work/bin:$PATH" DENO_DIR="$work/deno_dir" DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
cd "$work/repo" || exit 4
ortdir=$(find node_modules/.deno -type d -path '*/onnxruntime-node/bin/napi-v6/linux/x64' | head -1)
if [ -z "$ortdir" ]; then say "the bundle has no onnxruntime-node for linux x64"; exit 4; fi
if [ "$cpu_only" = 0 ]; then
  if ! ls "$work"/cuda/*.so >/dev/null 2>&1; then
    say "the bundle has no CUDA provider libraries (packed with --no-cuda?)"
    exit 4
  fi
  cp "$work"/cuda/*.so "$ortdir"/
  # PyTorch's pip wheels carry the CUDA runtime, cuBLAS and cuDNN (nvidia-* packages): use them when the
  # system has none on its library path.
  nvlibs=$("$python" - <<'PY' 2>/dev/null
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
dirs = [d for r in roots for d in glob.glob(os.path.join(r, "nvidia", "*", "lib"))]
dirs += [d for r in roots for d in glob.glob(os.path.join(r, "torch", "lib"))]
print(":".join(sorted(set(dirs))))
PY
  )
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$nvlibs"
  missing=$(ldd "$ortdir/libonnxruntime_providers_cuda.so" 2>/dev/null | grep 'not found' | awk '{print $1}' | tr '\n' ' ')
  if [ -n "$missing" ]; then
    say "onnxruntime's CUDA provider (built for CUDA 13 and cuDNN 9) cannot find: $missing"
    say "install the CUDA 13 runtime with cuBLAS and cuDNN 9, or a PyTorch built for CUDA 13 (cu130)"
  fi
fi

# 4. The check.
check() { deno run -A --cached-only bench/gpu_check.ts --python "$python" "$@" ${extra[@]+"${extra[@]}"}; }
if [ "$cpu_only" = 1 ]; then
  check --cpu-only --json "$work/results/cpu_only.json"
  code=$?
else
  NVIDIA_TF32_OVERRIDE=0 check --label "plain float32" --json "$work/results/float32.json"
  code=$?
  if [ "$code" -ne 3 ]; then
    echo
    check --label "TF32 allowed (timings; losses not judged)" --no-judge --json "$work/results/tf32.json"
  fi
fi
echo "gpu-check: done in $(( $(date +%s) - started )) s, exit $code; results in $work/results/"
exit "$code"
