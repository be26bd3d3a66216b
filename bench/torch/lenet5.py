"""PyTorch side of `npm run bench:torch` (bench/torch.ts): LeNet-5 on MNIST with Adam.

  lenet5.py replay DIR        replays a webgpu-dl run in PyTorch: the same initial weights
                              (DIR/init.safetensors), the same batches (DIR/order.bin) and
                              hyper-parameters (DIR/meta.json); compares against DIR/losses.bin
  lenet5.py own SEED EPOCHS VARIANT DATA [LR [SCHEDULE]]
                              PyTorch's own initialisation and shuffling (LR 1e-3,
                              SCHEDULE constant or onecycle)

Prints one JSON line on stdout. Needs torch and numpy (Debian: apt-get install python3-torch).
"""
import json, struct, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.1307, 0.3081  # src/data/mnist.ts


def idx(path):
    b = open(path, "rb").read()
    dims = struct.unpack(">" + "I" * b[3], b[4:4 + 4 * b[3]])
    return np.frombuffer(b, np.uint8, offset=4 + 4 * b[3]).reshape(dims)


def mnist(data, split, limit=None):
    """Normalised as src/data/mnist.ts does; the first `limit` examples."""
    stem = "train" if split == "train" else "t10k"
    x = torch.tensor((idx(f"{data}/{stem}-images-idx3-ubyte")[:limit] / 255.0 - MEAN) / STD, dtype=torch.float32).unsqueeze(1)
    return x, torch.tensor(idx(f"{data}/{stem}-labels-idx1-ubyte")[:limit].astype(np.int64))


class LeNet5(nn.Module):
    """src/models/lenet5.ts, with the same parameter names."""

    def __init__(self, variant):
        super().__init__()
        self.act = F.relu if variant == "modern" else torch.tanh
        self.pool = F.max_pool2d if variant == "modern" else F.avg_pool2d
        self.conv1, self.conv2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(self.act(self.conv1(x)), 2)
        x = self.pool(self.act(self.conv2(x)), 2)
        x = self.act(self.fc1(torch.flatten(x, 1)))
        return self.fc3(self.act(self.fc2(x)))


def load_safetensors(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        if v["dtype"] != "F32":
            sys.exit(f"{path}: {k} is {v['dtype']}, expected F32")
        s, e = v["data_offsets"]
        out[k] = torch.tensor(np.frombuffer(b[8 + n + s:8 + n + e], np.float32).reshape(v["shape"]).copy())
    return out


def train(model, x, y, xt, yt, orders, batch, lr, schedule="constant"):
    """Adam over the given per-epoch orders; per-step losses and per-epoch test accuracy.
    schedule "onecycle": OneCycleLR peaking at lr over all steps, without momentum cycling
    (webgpu-dl's Adam keeps beta1)."""
    opt = torch.optim.Adam(model.parameters(), lr)
    steps = sum((len(o) + batch - 1) // batch for o in orders)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, cycle_momentum=False) if schedule == "onecycle" else None
    losses, acc = [], []
    for order in orders:
        model.train()
        for i in range(0, len(order), batch):
            b = order[i:i + batch]
            loss = F.cross_entropy(model(x[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched:
                sched.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            acc.append((model(xt).argmax(1) == yt).float().mean().item() * 100)
    return np.array(losses), acc


def main():
    torch.set_num_threads(2)
    t0 = time.time()
    if sys.argv[1] == "replay":
        d = sys.argv[2]
        meta = json.load(open(f"{d}/meta.json"))
        x, y = mnist(meta["data"], "train", meta["limit"])
        xt, yt = mnist(meta["data"], "test", meta["limit"])
        model = LeNet5(meta["variant"])
        model.load_state_dict(load_safetensors(f"{d}/init.safetensors"))
        orders = torch.tensor(np.fromfile(f"{d}/order.bin", np.int32).astype(np.int64)).reshape(meta["epochs"], -1)
        losses, acc = train(model, x, y, xt, yt, orders, meta["batch"], meta["lr"], meta.get("schedule", "constant"))
        ours = np.fromfile(f"{d}/losses.bin", np.float64)
        if len(ours) != len(losses):
            sys.exit(f"{d}/losses.bin: {len(ours)} steps, PyTorch ran {len(losses)}")
        diff = np.abs(losses - ours) / np.maximum(np.abs(ours), 1e-12)
        first = {str(k): float(diff[:k].max()) for k in (10, 50, 100) if k <= len(diff)}
        print(json.dumps({"testAcc": acc, "meanLoss": float(losses[:len(losses) // meta["epochs"]].mean()), "maxRelLossDiff": first, "seconds": time.time() - t0}))
    else:
        seed, epochs, variant, data = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
        lr = float(sys.argv[6]) if len(sys.argv) > 6 else 1e-3
        schedule = sys.argv[7] if len(sys.argv) > 7 else "constant"
        x, y = mnist(data, "train")
        xt, yt = mnist(data, "test")
        torch.manual_seed(seed)
        model = LeNet5(variant)
        losses, acc = train(model, x, y, xt, yt, [torch.randperm(len(y)) for _ in range(epochs)], 64, lr, schedule)
        print(json.dumps({"testAcc": acc, "meanLoss": float(losses[:len(losses) // epochs].mean()), "seconds": time.time() - t0}))


if __name__ == "__main__":
    main()
