"""PyTorch's side of `npm run bench --backend torch-cpu` (bench/torch_peer.ts): times one of the
benchmark's cases (bench/cases.ts) as a PyTorch user would write it, on the CPU, float32,
with as many threads as there are cores (as our fast mode).

  cases.py KEY_JSON RUNS      KEY_JSON: the case key, e.g. {"kind":"lenetTrain","batch":64}

A warm-up (at least 3 runs and 300 ms, as bench/harness.ts does), then RUNS timed samples (each at least 2 ms: short ones are repeated and
averaged, as bench/harness.ts does); prints one JSON line: median, min, max ms, threads and
the torch version. Needs torch (Debian: apt-get install python3-torch).
"""
import json, os, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

WARM_RUNS, WARM_MS = 3, 300

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from lenet5 import LeNet5  # noqa: E402


class LSTMClassifier(nn.Module):
    """src/models/lstm_classifier.ts: the last step's h through a linear layer (an LSTM or a GRU)."""

    def __init__(self, inputs, hidden, classes=10, cell="lstm"):
        super().__init__()
        self.lstm, self.fc = (nn.GRU if cell == "gru" else nn.LSTM)(inputs, hidden), nn.Linear(hidden, classes)

    def forward(self, x):  # x [N, T, I]
        _, state = self.lstm(x.transpose(0, 1))
        h = state if isinstance(self.lstm, nn.GRU) else state[0]
        return self.fc(h[0])


def labels(n):
    return torch.arange(n) % 10


def case(key):
    torch.manual_seed(0)
    kind = key["kind"]
    if kind == "matmul":
        a, b = torch.randn(key["m"], key["k"]), torch.randn(key["k"], key["n"])
        return lambda: a @ b
    if kind == "conv2d":
        x = torch.randn(key["batch"], 6, 14, 14, requires_grad=True)
        w = torch.randn(16, 6, 5, 5, requires_grad=True)
        return lambda: torch.autograd.grad(F.conv2d(x, w).sum(), [x, w])
    if kind in ("lenetTrain", "lstmTrain", "gruTrain"):
        if kind == "lenetTrain":
            model, x = LeNet5("modern"), torch.randn(key["batch"], 1, 28, 28)
        else:
            cell = "gru" if kind == "gruTrain" else "lstm"
            model, x = LSTMClassifier(28, key["hidden"], cell=cell), torch.randn(key["batch"], key["steps"], 28)
        y, opt = labels(key["batch"]), torch.optim.Adam(model.parameters(), lr=1e-3)

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()
        return step
    if kind == "lenetInfer":
        model, x = LeNet5("modern").eval(), torch.randn(key["batch"], 1, 28, 28)

        def infer():
            with torch.no_grad():
                return model(x)
        return infer
    if kind == "lstmCell":
        h = key["hidden"]
        cell = nn.LSTMCell(28, h, bias=False)
        x, h0, c0 = torch.randn(key["batch"], 28), torch.randn(key["batch"], h), torch.randn(key["batch"], h)

        def cell_step():
            hh, cc = cell(x, (h0, c0))
            return torch.autograd.grad(hh.sum() + cc.sum(), [cell.weight_ih, cell.weight_hh])
        return cell_step
    return None


def main():
    key, runs = json.loads(sys.argv[1]), int(sys.argv[2])
    # every core, as our fast mode uses (PyTorch's own default here is 1 intra-op thread)
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    run = case(key)
    if run is None:
        print(json.dumps({"skip": True}))
        return
    # warm-up: at least WARM_RUNS runs and WARM_MS (bench/harness.ts has the same two)
    t0, warm = time.perf_counter(), 0
    while warm < WARM_RUNS or (time.perf_counter() - t0) * 1000 < WARM_MS:
        run()
        warm += 1
    times = []
    for _ in range(runs):
        t0, reps = time.perf_counter(), 0
        while True:
            run()
            reps += 1
            if (time.perf_counter() - t0) * 1000 >= 2:
                break
        times.append((time.perf_counter() - t0) * 1000 / reps)
    times.sort()
    print(json.dumps({"median": times[len(times) // 2], "min": times[0], "max": times[-1], "threads": torch.get_num_threads(), "torch": torch.__version__}))


main()
