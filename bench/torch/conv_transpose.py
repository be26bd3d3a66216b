# Writes test/fixtures/conv_transpose_torch.json: torch.nn.functional.conv_transpose2d on seeded
# float64 inputs (run: /usr/bin/python3 bench/torch/conv_transpose.py from the checkout; PyTorch 1.13).
import json, torch
torch.manual_seed(0)
cases = []
for (n, cin, cout, h, w, k, s, p, op, d) in [
    (2, 3, 4, 5, 4, (3, 2), (2, 1), (1, 0), (1, 0), (1, 2)),
    (1, 2, 3, 3, 3, (2, 2), (3, 3), (0, 1), (2, 0), (1, 1)),
]:
    x = torch.randn(n, cin, h, w, dtype=torch.float64)
    wt = torch.randn(cin, cout, *k, dtype=torch.float64)
    b = torch.randn(cout, dtype=torch.float64)
    y = torch.nn.functional.conv_transpose2d(x, wt, b, stride=s, padding=p, output_padding=op, dilation=d)
    cases.append({"x": x.flatten().tolist(), "xShape": list(x.shape), "w": wt.flatten().tolist(), "wShape": list(wt.shape), "b": b.tolist(),
                  "stride": list(s), "padding": list(p), "outputPadding": list(op), "dilation": list(d), "y": y.flatten().tolist(), "yShape": list(y.shape)})
json.dump({"torch": torch.__version__, "cases": cases}, open("test/fixtures/conv_transpose_torch.json", "w"))
print([c["yShape"] for c in cases])
