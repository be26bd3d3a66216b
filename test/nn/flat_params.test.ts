/**
 * An optimizer's packed parameters (optim/flat_params.ts): every parameter is a window of one
 * buffer that one kernel updates, and a parameter given new data between steps (assign, a
 * loaded checkpoint) is what the next step starts from, eager or compiled, on every backend.
 */
import { expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { GraphError, tensor, type Tensor } from "../../src/index.ts";
import { SGD } from "../../src/optim/sgd.ts";
import { Adam } from "../../src/optim/adam.ts";
import { onEachBackend, testBackends } from "../helpers/backends.ts";

const backends = await testBackends();
const close = async (t: Tensor, want: number[]) => Array.from(await t.data()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));

onEachBackend(backends, "packed parameters", (backend) => {
  it("every parameter reads its window of the packed buffer after a step, and one update moves them all", async () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([[4, 5], [6, 7]]);
    const opt = new SGD([a, b], { lr: 0.5 });
    opt.step([W.ones([3]), W.full([2, 2], 2)]);
    await close(a, [0.5, 1.5, 2.5]);
    await close(b, [3, 4, 5, 6]);
    const flat = (opt as unknown as { groups: { packed: { flat: Tensor; offsets: number[] } }[] }).groups[0].packed;
    const all = await flat.flat.data();
    expect(Array.from(all.slice(flat.offsets[1], flat.offsets[1] + 4))).toEqual([3, 4, 5, 6]);
    // one buffer behind both: a's and b's handles are windows of it
    const h = (t: Tensor) => t.storage!.handle as { buffer?: unknown } & ArrayLike<number>;
    if (backend === "webgpu") expect(h(a).buffer).toBe(h(b).buffer);
    else expect((h(a) as unknown as Float32Array).buffer).toBe((h(b) as unknown as Float32Array).buffer);
  });

  it("a parameter assigned between steps is what the next step starts from, eager and compiled", async () => {
    const w = tensor([1, 2, 3]);
    const opt = new SGD([w], { lr: 0.1 });
    const g = W.ones([3]);
    opt.step([g]);
    await close(w, [0.9, 1.9, 2.9]);
    w.assign(tensor([10, 20, 30]));
    opt.step([g]);
    await close(w, [9.9, 19.9, 29.9]);
    const step = W.compile(() => opt.step([g]));
    step();
    await close(w, [9.8, 19.8, 29.8]);
    w.assign(tensor([-1, -2, -3]));
    step();
    step();
    await close(w, [-1.2, -2.2, -3.2]);
  });

  it("a model loaded mid-training trains on from the loaded weights, and disposing one parameter leaves the others", async () => {
    W.manualSeed(2);
    const model = new W.nn.Linear(3, 2);
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    const step = W.compileTrainStep(model, opt, { loss: (y: Tensor) => W.sum(W.mul(y, y)) });
    const x = tensor([[1, 2, 3]]);
    await step(x, x).loss.item();
    const saved = new Map(await Promise.all(model.namedParameters().map(async ([n, p]) => [n, await p.data()] as const)));
    await step(x, x).loss.item();
    for (const [n, p] of model.namedParameters()) p.assign(W.fromArray(saved.get(n)!, p.shape));
    for (const [n, p] of model.namedParameters()) expect(Array.from(await p.data())).toEqual(Array.from(saved.get(n)!));
    const loss = await step(x, x).loss.item();
    expect(Number.isFinite(loss)).toBe(true);
    model.bias!.dispose();
    expect((await model.weight.data()).length).toBe(6);
  });
});

it.skipIf(!backends.includes("webgpu"))("an optimizer stepped on the CPU goes on on WebGPU from the same weights and moments", async () => {
  await W.setBackend("cpu");
  const w = tensor([1, 2, 3]);
  const opt = new Adam([w], { lr: 0.1 });
  const g = tensor([1, -1, 2]);
  opt.step([g]);
  const onCpu = Array.from(await w.data());
  // the same two steps, the second on WebGPU
  const w2 = tensor([1, 2, 3]);
  const opt2 = new Adam([w2], { lr: 0.1 });
  opt2.step([g]);
  opt2.step([g]);
  const want = Array.from(await w2.data());
  await W.setBackend("webgpu");
  opt.step([tensor([1, -1, 2])]);
  expect(w.storage!.backend.name).toBe("webgpu");
  const got = Array.from(await w.data());
  got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  expect(got).not.toEqual(onCpu);
  await W.setBackend("cpu");
});

it("refuses a parameter passed twice, parameters of two dtypes and a computed tensor, naming the optimizer", () => {
  const p = tensor([1, 2]);
  expect(() => new SGD([p, p], { lr: 1 })).toThrow(GraphError);
  expect(() => new SGD([p, p], { lr: 1 })).toThrow(/SGD: parameter 1 .* is also parameter 0/);
  expect(() => new Adam([p, tensor([1], [1], "float64")])).toThrow(/Adam: parameter 1 is float64\[1\]/);
  expect(() => new Adam([W.add(p, 1)])).toThrow(/is a computed tensor/);
});
