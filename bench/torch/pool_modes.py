# Writes test/fixtures/pool_modes_torch.json: torch max_pool2d (dilation, ceil_mode) and
# avg_pool2d (ceil_mode, count_include_pad) on seeded float64 inputs, with the input
# gradient of sum(y * g) for a seeded g (run: /usr/bin/python3 bench/torch/pool_modes.py from
# the checkout; PyTorch 1.13).
import json, torch
torch.manual_seed(0)
F = torch.nn.functional
cases = []
for kind, shape, k, s, p, d, ceil, cip in [
    ("max", (2, 2, 7, 6), (3, 2), (2, 1), (1, 0), (1, 2), True, None),
    ("max", (1, 2, 5, 5), (2, 2), (2, 2), (0, 0), (1, 1), True, None),
    ("max", (1, 1, 5, 5), (2, 2), (2, 2), (1, 1), (1, 1), True, None),
    ("max", (1, 2, 8, 7), (2, 3), (1, 2), (1, 1), (2, 1), False, None),
    ("avg", (1, 2, 6, 7), (3, 3), (2, 2), (1, 1), (1, 1), True, True),
    ("avg", (1, 2, 6, 7), (3, 3), (2, 2), (1, 1), (1, 1), True, False),
    ("avg", (1, 1, 5, 5), (2, 2), (2, 2), (1, 1), (1, 1), True, True),
    ("avg", (1, 1, 5, 5), (2, 2), (2, 2), (1, 1), (1, 1), True, False),
]:
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    if kind == "max":
        y = F.max_pool2d(x, k, s, p, d, ceil_mode=ceil)
    else:
        y = F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=cip)
    g = torch.randn(*y.shape, dtype=torch.float64)
    (y * g).sum().backward()
    cases.append({"kind": kind, "x": x.detach().flatten().tolist(), "xShape": list(shape), "kernel": list(k), "stride": list(s), "padding": list(p), "dilation": list(d),
                  "ceilMode": ceil, "countIncludePad": cip, "y": y.detach().flatten().tolist(), "yShape": list(y.shape), "g": g.flatten().tolist(), "dx": x.grad.flatten().tolist()})
json.dump({"torch": torch.__version__, "cases": cases}, open("test/fixtures/pool_modes_torch.json", "w"))
print([(c["kind"], c["yShape"]) for c in cases])
