import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { F, ShapeError, manualSeed, tensor, type Tensor } from "../../src/index.ts";
import { Embedding, GRU, LSTM, RNN } from "../../src/nn/index.ts";
import { gradcheck } from "../helpers/gradcheck.ts";
import { expectClose, TOL } from "../tolerance.ts";
import { values } from "../helpers/values.ts";

const f64 = { dtype: "float64" as const };
const param = (m: { namedParameters(): [string, Tensor][] }, name: string) => m.namedParameters().find(([n]) => n === name)![1];

describe("recurrent layers", () => {
  it("use PyTorch's parameter names and shapes (2 layers, bidirectional)", () => {
    const lstm = new LSTM(10, 20, { numLayers: 2, bidirectional: true });
    const names = lstm.namedParameters().map(([n, t]) => `${n} ${t.describe()}`);
    expect(names).toEqual([
      "weight_ih_l0 float32[80,10]", "weight_hh_l0 float32[80,20]", "bias_ih_l0 float32[80]", "bias_hh_l0 float32[80]",
      "weight_ih_l0_reverse float32[80,10]", "weight_hh_l0_reverse float32[80,20]", "bias_ih_l0_reverse float32[80]", "bias_hh_l0_reverse float32[80]",
      "weight_ih_l1 float32[80,40]", "weight_hh_l1 float32[80,20]", "bias_ih_l1 float32[80]", "bias_hh_l1 float32[80]",
      "weight_ih_l1_reverse float32[80,40]", "weight_hh_l1_reverse float32[80,20]", "bias_ih_l1_reverse float32[80]", "bias_hh_l1_reverse float32[80]",
    ]);
    expect(new GRU(3, 5).namedParameters().map(([, t]) => t.shape[0])).toEqual([15, 15, 15, 15]);
    expect(new RNN(3, 5, { bias: false }).namedParameters().map(([n]) => n)).toEqual(["weight_ih_l0", "weight_hh_l0"]);
  });

  it("from no initial state (its first step skips h·W_hhᵀ) equals an explicit zero state: outputs and gradients, with and without biases", async () => {
    for (const bias of [true, false]) {
      for (const make of [() => new RNN(3, 4, { ...f64, bias, bidirectional: true }), () => new LSTM(3, 4, { ...f64, bias }), () => new GRU(3, 4, { ...f64, bias, numLayers: 2 })]) {
        manualSeed(5);
        const m = make();
        const x = W.randn([4, 2, 3], { seed: 3, dtype: "float64" });
        const k = m.numLayers * m.directions;
        const z = () => W.zeros([k, 2, 4], "float64");
        const loss = (out: Tensor) => W.sum(W.mul(out, W.tanh(out)));
        const params = m.parameters();
        const implicit = m instanceof LSTM ? m.forward(x)[0] : (m as RNN).forward(x)[0];
        const explicit = m instanceof LSTM ? m.forward(x, [z(), z()])[0] : (m as RNN).forward(x, z())[0];
        const what = `${m.constructor.name} bias ${bias}`;
        expectClose(await values(implicit), await values(explicit), TOL.composition, what);
        const [gi, ge] = [W.gradients(loss(implicit), params), W.gradients(loss(explicit), params)];
        for (let p = 0; p < params.length; p++) expectClose(await values(gi[p]), await values(ge[p]), TOL.composition, `${what}: gradient ${p}`);
      }
    }
  });

  it("an LSTM layer equals the hand-unrolled F.lstmCell loop, step for step", async () => {
    manualSeed(2);
    const lstm = new LSTM(3, 4, f64);
    const x = W.randn([5, 2, 3], { seed: 1, dtype: "float64" });
    const [out, [hN, cN]] = lstm.forward(x);
    let st: [Tensor, Tensor] = [W.zeros([2, 4], "float64"), W.zeros([2, 4], "float64")];
    const hs: Tensor[] = [];
    for (let t = 0; t < 5; t++) {
      st = F.lstmCell(W.squeeze(W.slice(x, { 0: [t, t + 1] }), 0), st, param(lstm, "weight_ih_l0"), param(lstm, "weight_hh_l0"), param(lstm, "bias_ih_l0"), param(lstm, "bias_hh_l0"));
      hs.push(st[0]);
    }
    expectClose(await values(out), (await Promise.all(hs.map(values))).flat(), TOL.composition);
    expectClose(await values(hN), await values(st[0]), TOL.composition);
    expectClose(await values(cN), await values(st[1]), TOL.composition);
  });

  it("bidirectional: the reverse direction ends at t = 0, outputs concatenate features", async () => {
    const gru = new GRU(3, 4, { bidirectional: true, ...f64 });
    const [out, hN] = gru.forward(W.randn([6, 2, 3], { seed: 3, dtype: "float64" }));
    expect(out.shape).toEqual([6, 2, 8]);
    expect(hN.shape).toEqual([2, 2, 4]);
    const o = await values(out);
    const h = await values(hN);
    const at = (t: number, b: number, k: number) => o[(t * 2 + b) * 8 + k];
    for (let b = 0; b < 2; b++) {
      for (let k = 0; k < 4; k++) {
        expect(h[b * 4 + k]).toBe(at(5, b, k)); // forward direction: last step
        expect(h[8 + b * 4 + k]).toBe(at(0, b, 4 + k)); // reverse direction: first step
      }
    }
  });

  it("batchFirst takes and returns [B, T, …]", async () => {
    manualSeed(5);
    const a = new RNN(3, 4);
    manualSeed(5);
    const b = new RNN(3, 4, { batchFirst: true });
    const x = W.randn([5, 2, 3], { seed: 4 });
    const [oa] = a.forward(x);
    const [ob] = b.forward(W.permute(x, [1, 0, 2]));
    expect(ob.shape).toEqual([2, 5, 4]);
    expect(await values(W.permute(ob, [1, 0, 2]))).toEqual(await values(oa));
  });

  it.each([
    ["RNN 2 layers bidirectional", () => new RNN(3, 4, { numLayers: 2, bidirectional: true, ...f64 })],
    ["LSTM bidirectional", () => new LSTM(3, 4, { bidirectional: true, ...f64 })],
    ["GRU 2 layers bidirectional", () => new GRU(2, 3, { numLayers: 2, bidirectional: true, ...f64 })],
  ] as const)("%s: gradients through time w.r.t. the input and initial states match central differences", async (_n, make) => {
    manualSeed(7);
    const m = make();
    const layers = m.numLayers * m.directions;
    if (m instanceof LSTM) {
      await gradcheck((x, h, c) => { const [o, [hN, cN]] = m.forward(x, [h, c]); return [o, hN, cN]; }, [{ shape: [3, 2, 3] }, { shape: [layers, 2, 4] }, { shape: [layers, 2, 4] }]);
    } else {
      const inSize = m.inputSize;
      await gradcheck((x, h) => (m as RNN).forward(x, h), [{ shape: [3, 2, inSize] }, { shape: [layers, 2, m.hiddenSize] }]);
    }
  });

  it("LSTM forgetBias sets the forget slice of bias_ih (and zeroes bias_hh's), keeping the other gates' init", async () => {
    manualSeed(9);
    const plain = new LSTM(3, 2, { bidirectional: true });
    manualSeed(9);
    const biased = new LSTM(3, 2, { bidirectional: true, forgetBias: 1 });
    for (const sfx of ["_l0", "_l0_reverse"]) {
      const ih = await values(param(biased, `bias_ih${sfx}`)), ih0 = await values(param(plain, `bias_ih${sfx}`));
      const hh = await values(param(biased, `bias_hh${sfx}`)), hh0 = await values(param(plain, `bias_hh${sfx}`));
      expect(ih.slice(2, 4)).toEqual([1, 1]);
      expect(hh.slice(2, 4)).toEqual([0, 0]);
      expect([...ih.slice(0, 2), ...ih.slice(4)]).toEqual([...ih0.slice(0, 2), ...ih0.slice(4)]);
      expect([...hh.slice(0, 2), ...hh.slice(4)]).toEqual([...hh0.slice(0, 2), ...hh0.slice(4)]);
    }
  });

  it("names the layer and the shapes on bad input", () => {
    const lstm = new LSTM(3, 4);
    expect(() => lstm.forward(W.zeros([5, 2, 7]))).toThrow(ShapeError);
    expect(() => lstm.forward(W.zeros([5, 2, 7]))).toThrow("LSTM(3, 4): input float32[5,2,7] should be [T, B, 3]");
    expect(() => lstm.forward(W.zeros([5, 2, 3]), [W.zeros([1, 3, 4]), W.zeros([1, 2, 4])])).toThrow("LSTM: initial h0 [1,3,4] should be [1,2,4]");
  });
});

describe("Embedding", () => {
  it("looks rows up; the padding row starts at zero and gets no gradient", async () => {
    const emb = new Embedding(5, 3, { paddingIdx: 1 });
    expect(emb.namedParameters().map(([n, t]) => `${n} ${t.describe()}`)).toEqual(["weight float32[5,3]"]);
    const w = await values(emb.weight);
    expect(w.slice(3, 6)).toEqual([0, 0, 0]);
    const idx = tensor([[1, 4], [2, 1]], undefined, "int32");
    const out = emb.forward(idx);
    expect(out.shape).toEqual([2, 2, 3]);
    expect((await values(out)).slice(3, 6)).toEqual(w.slice(12, 15));
    const g = await values(W.gradients(W.sum(emb.forward(idx)), [emb.weight])[0]);
    expect(g).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]);
  });
  it("refuses a padding index outside the table", () => {
    expect(() => new Embedding(4, 2, { paddingIdx: 4 })).toThrow("Embedding: paddingIdx 4 is outside [0, 4)");
  });
});

describe("truncated backprop through time and the LSTM classifier", () => {
  it("a carried, detached state gives the full-sequence outputs but cuts the gradient", async () => {
    manualSeed(11);
    const lstm = new LSTM(3, 4, f64);
    const x = W.randn([8, 2, 3], { seed: 12, dtype: "float64" });
    const [full] = lstm.forward(x);
    const first = W.slice(x, { 0: [0, 4] });
    const second = W.slice(x, { 0: [4, 8] });
    const [, [h, c]] = lstm.forward(first);
    const [out2] = lstm.forward(second, [W.detach(h), W.detach(c)]);
    expectClose(await values(out2), (await values(full)).slice(4 * 2 * 4), TOL.composition);
    const [g1, g2] = W.gradients(W.sum(out2), [first, second]);
    expect((await values(g1)).every((v) => v === 0)).toBe(true);
    expect((await values(g2)).some((v) => v !== 0)).toBe(true);
  });

  it("LSTMClassifier reads an MNIST batch row by row into 10 logits", async () => {
    const { LSTMClassifier } = await import("../../src/models/lstm_classifier.ts");
    const m = new LSTMClassifier();
    expect(m.namedParameters().map(([n]) => n)).toEqual(["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "fc.weight", "fc.bias"]);
    expect(m.forward(W.zeros([3, 1, 28, 28])).shape).toEqual([3, 10]);
    expect(() => m.forward(W.zeros([3, 28, 20]))).toThrow("LSTMClassifier: expected [N, T, 28] (or [N, 1, T, 28]), got float32[3,28,20]");
  });
});
