"""PyTorch CPU eager side of bench/fid_budget.ts: trains the wgan-div pipeline's model (bench/torch/wgan_div.py's
networks at the pipeline's size, its loss, Adam and batch) on the same training images for a fixed wall-clock
budget, and writes the generator's weights at fifths of the budget as snapshots in the layout of train.run
(snapshots/step-NNNNNN.safetensors, parameter names and shapes of models/onnx/models/wgan_div.ts), so that
the pipeline's own evaluation stage scores them exactly as it scores ours.

Run: OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/wgan_div_budget.py \\
       IMAGES.f32 COUNT BUDGET_SECONDS OUT_DIR THREADS Z_DIM G0 G1 D0 D1 BATCH
IMAGES.f32: COUNT images 1×28×28 in [−1, 1], float32, back to back. Prints one JSON line.
"""
import json
import struct
import sys
import time

import numpy as np
import torch

images_path, count, budget, out_dir, threads, z_dim, g0, g1, d0, d1, batch = sys.argv[1:12]
count, threads, z_dim, batch = int(count), int(threads), int(z_dim), int(batch)
budget = float(budget)
sys.argv = sys.argv[:1]  # wgan_div.py reads its own argv when imported
import wgan_div as ref  # noqa: E402

torch.set_num_threads(threads)
torch.manual_seed(0)
data = torch.from_numpy(np.fromfile(images_path, dtype=np.float32).reshape(count, 1, 28, 28))
g, d = ref.G(z_dim, (int(g0), int(g1))), ref.critic((int(d0), int(d1)))
ref.init_weights(g, d)
step = ref.wgan_div_step(g, d, z_dim)


def save(step_count):
    """The generator's weights under models/onnx/models/wgan_div.ts's names, flat float32 as train.run writes."""
    tensors = {
        "generator/fc/W": g.fc.weight.detach().t(),  # ours is x·W with W [in, out]
        "generator/bn0/gamma": g.net[0].weight.detach(),
        "generator/bn0/beta": g.net[0].bias.detach(),
        "generator/deconv1/W": g.net[2].weight.detach(),  # [Cin, Cout, k, k] in both
        "generator/bn1/gamma": g.net[3].weight.detach(),
        "generator/bn1/beta": g.net[3].bias.detach(),
        "generator/deconv2/W": g.net[5].weight.detach(),
        "generator/deconv2/b": g.net[5].bias.detach(),
    }
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        blob = tensors[name].contiguous().numpy().astype(np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": [len(blob) // 4], "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    with open(f"{out_dir}/snapshots/step-{step_count:06d}.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


save(0)
marks = [budget * k / 5 for k in range(1, 6)]
snapshots, steps = [{"step": 0, "seconds": 0.0}], 0
order = torch.randperm(count)
cursor = 0
started = time.perf_counter()
while marks:
    if cursor + batch > count:
        order, cursor = torch.randperm(count), 0
    step(data[order[cursor:cursor + batch]])
    cursor += batch
    steps += 1
    elapsed = time.perf_counter() - started
    if elapsed >= marks[0]:
        marks.pop(0)
        save(steps)
        snapshots.append({"step": steps, "seconds": elapsed})
print(json.dumps({"steps": steps, "seconds": time.perf_counter() - started, "snapshots": snapshots}))
