/**
 * @file Benchmark cases: each builds its inputs once and returns a `run` that does one
 * iteration and waits for its result (reading it back, so GPU time is real work, not
 * enqueue time). Sizes shrink with `quick` so the harness can run inside `npm test`.
 */
import { F, compile, compileTrainStep, manualSeed, randn, tensor, type Tensor } from "../src/index.ts";
import * as W from "../src/index.ts";
import { LeNet5 } from "../src/models/lenet5.ts";
import { Adam } from "../src/optim/adam.ts";

export interface Case {
  name: string;
  /** What one iteration processes, for a rate column (e.g. images or FLOPs). */
  unit: string;
  perIteration: number;
  setup(): Promise<() => Promise<void>>;
}

export function cases(quick: boolean): Case[] {
  const mm = quick ? [16] : [128, 256];
  const batch = quick ? 2 : 64;
  return [
    ...mm.map((n): Case => ({
      name: `matmul ${n}`, unit: "GFLOP", perIteration: (2 * n ** 3) / 1e9,
      async setup() {
        const a = randn([n, n], { seed: 1 });
        const b = randn([n, n], { seed: 2 });
        return async () => void (await W.matmul(a, b).data());
      },
    })),
    {
      name: `conv2d LeNet conv2 fwd+bwd, batch ${batch}`, unit: "images", perIteration: batch,
      async setup() {
        const x = randn([batch, 6, 14, 14], { seed: 3 });
        const w = randn([16, 6, 5, 5], { seed: 4 });
        const step = compile((xx: Tensor) => W.gradients(W.sum(F.conv2d(xx, w)), [xx, w]));
        return async () => void (await Promise.all(step(x).map((t) => t.data())));
      },
    },
    {
      name: `LeNet-5 train step (Adam), batch ${batch}`, unit: "images", perIteration: batch,
      async setup() {
        manualSeed(0);
        const model = new LeNet5();
        const step = compileTrainStep(model, new Adam(model.parameters(), { lr: 1e-3 }));
        const x = randn([batch, 1, 28, 28], { seed: 5 });
        const y = tensor(Array.from({ length: batch }, (_, i) => i % 10), [batch], "int32");
        return async () => void (await step(x, y).loss.data());
      },
    },
    {
      name: `LSTM cell step fwd+bwd, batch ${batch}, input 28, hidden ${quick ? 8 : 128}`, unit: "steps", perIteration: 1,
      async setup() {
        const h = quick ? 8 : 128;
        const [x, h0, c0] = [randn([batch, 28], { seed: 6 }), randn([batch, h], { seed: 7 }), randn([batch, h], { seed: 8 })];
        const [wi, wh] = [randn([4 * h, 28], { seed: 9, std: 0.1 }), randn([4 * h, h], { seed: 10, std: 0.1 })];
        const step = compile((xx: Tensor) => {
          const [hh, cc] = F.lstmCell(xx, [h0, c0], wi, wh);
          return W.gradients(W.add(W.sum(hh), W.sum(cc)), [wi, wh]);
        });
        return async () => void (await Promise.all(step(x).map((t) => t.data())));
      },
    },
  ];
}
