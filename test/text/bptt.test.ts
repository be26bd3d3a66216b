/**
 * Truncated backprop through time for the character model: the contiguous streams that
 * `--bptt` reads, and a compiled step that carries the LSTM state from batch to batch on the
 * device (the state after two steps is the state of the two batches run one after the other).
 */
import { expect, it } from "vitest";
import { compileTrainStep, manualSeed, tensor, zeros, type Tensor } from "../../src/index.ts";
import { SGD } from "../../src/optim/sgd.ts";
import { streamWindows } from "../../src/data/text.ts";
import { CharLM } from "../../src/models/char_lm.ts";
import { FormatError } from "../../src/errors.ts";
import { expectClose, TOL } from "../tolerance.ts";
import { onEachBackend, testBackends } from "../helpers/backends.ts";

const backends = await testBackends();

it("streams: batch t + 1 continues each row of batch t, the labels one token on", () => {
  const ids = Int32Array.from({ length: 15 }, (_, i) => i);
  // 2 rows of S = 7: tokens 0…6 and 7…13; 2 steps of 3 each
  const { x, y, count } = streamWindows(ids, 2, 3, "t");
  expect(count).toBe(2);
  expect(Array.from(x)).toEqual([0, 1, 2, 7, 8, 9, 3, 4, 5, 10, 11, 12]);
  expect(Array.from(y)).toEqual([1, 2, 3, 8, 9, 10, 4, 5, 6, 11, 12, 13]);
  expect(() => streamWindows(ids, 4, 4, "short.txt")).toThrow(new FormatError("short.txt: 15 tokens are too few for 4 streams of 4 + 1; use a longer text, a smaller --batch or a smaller --bptt"));
});

onEachBackend(backends, "a carried state", (backend) => it("after two steps is the state of both batches run in turn; resetState zeros it", async () => {
  manualSeed(3);
  const model = new CharLM(7, { embeddingDim: 4, hiddenSize: 5 });
  const state = [zeros([1, 2, 5]), zeros([1, 2, 5])];
  const forward = (x: Tensor, s: Tensor[]): [Tensor, Tensor[]] => model.forwardWithState(x, [s[0], s[1]]);
  // lr 0: the weights stay, so the expected state can be computed with them afterwards
  const step = compileTrainStep(model, new SGD(model.parameters(), { lr: 0 }), { carry: { state, forward } });
  const x1 = tensor([[2, 3, 4], [5, 6, 2]], undefined, "int32"), x2 = tensor([[3, 3, 2], [6, 5, 4]], undefined, "int32");
  step(x1, x1);
  step(x2, x2);
  const [, s1] = model.forwardWithState(x1);
  const [, s2] = model.forwardWithState(x2, s1);
  // the CPU runs the same loops compiled or not (the same bits); WebGPU's compiled plan fuses kernels the eager run does not
  const tol = backend === "cpu" ? TOL.exact : TOL.gpuAccumulate;
  expectClose(await state[0].data(), await s2[0].data(), tol, `h after two steps on ${backend}`);
  expectClose(await state[1].data(), await s2[1].data(), tol, `c after two steps on ${backend}`);
  // and not the state of the second batch from zeros
  const [, alone] = model.forwardWithState(x2);
  expect(Array.from(await state[1].data())).not.toEqual(Array.from(await alone[1].data()));
  step.resetState();
  expect(Array.from(await state[0].data()).every((v) => v === 0)).toBe(true);
}));
