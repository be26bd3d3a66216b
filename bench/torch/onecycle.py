"""The learning rates of torch.optim.lr_scheduler.OneCycleLR (and LinearLR) for a few settings,
as JSON on stdout: the reference test/fixtures/onecycle_torch.json holds, which
test/nn/schedules.test.ts checks ours against. Regenerate with
  python3 bench/torch/onecycle.py > test/fixtures/onecycle_torch.json
"""
import json
import torch

SETTINGS = [
    {"maxLr": 0.01, "totalSteps": 20},
    {"maxLr": 0.003, "totalSteps": 37, "pctStart": 0.25, "annealStrategy": "linear"},
    {"maxLr": 1.0, "totalSteps": 30, "threePhase": True, "divFactor": 10, "finalDivFactor": 100},
    {"maxLr": 0.006, "totalSteps": 938},
]

out = {"torch": torch.__version__, "onecycle": [], "linear": []}
for s in SETTINGS:
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([p], lr=1.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=s["maxLr"], total_steps=s["totalSteps"], pct_start=s.get("pctStart", 0.3),
        anneal_strategy=s.get("annealStrategy", "cos"), div_factor=s.get("divFactor", 25.0),
        final_div_factor=s.get("finalDivFactor", 1e4), three_phase=s.get("threePhase", False), cycle_momentum=False)
    lrs = []
    for _ in range(s["totalSteps"]):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    out["onecycle"].append({"settings": s, "lrs": lrs})
for start, end, iters in [(0.01, 1.0, 10), (1 / 3, 1.0, 5)]:
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.5)
    sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=start, end_factor=end, total_iters=iters)
    lrs = []
    for _ in range(iters + 3):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    out["linear"].append({"settings": {"lr": 0.5, "startFactor": start, "endFactor": end, "totalIters": iters}, "lrs": lrs})
print(json.dumps(out))
