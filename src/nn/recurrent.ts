/**
 * @file nn.RNN, nn.LSTM, nn.GRU as torch.nn: multi-layer, optionally bidirectional, input
 * [T, B, I] (or [B, T, I] with batchFirst), optional initial states, returning every step's
 * output and the final states [layers·directions, B, H]. Parameters carry PyTorch's names
 * and layouts (weight_ih_l0 [G·H, I], weight_hh_l0 [G·H, H], bias_ih_l0, bias_hh_l0, and
 * `_reverse` for the backward direction; G = 1, 4, 3), so safetensors weights move both ways.
 * Each direction computes the input projections of all time steps in one matmul, then runs
 * the recurrence: LSTM and GRU as one op over all steps (ops/recurrent_seq.ts: one fused
 * kernel per step, the hidden matmul and the cell together, and the same backward; b_ih + b_hh
 * of an LSTM go into the projection), RNN as tanh or relu of the summed projections per step
 * (from a zero initial state its first step skips the hidden matmul, h·W_hhᵀ = 0). Backprop
 * through time is autodiff over that graph, all in one compiled plan.
 */
import type { Tensor } from "../tensor.ts";
import type { DType } from "../dtype.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { fromArray, zeros } from "../creation.ts";
import { add, relu, tanh, where } from "../ops/elementwise.ts";
import { expand } from "../ops/sum.ts";
import { concat, permute, reshape, slice, squeeze, unbind, unsqueeze } from "../ops/movement.ts";
import { gruSequence, lstmSequence } from "../ops/recurrent_seq.ts";
import { linear } from "../functional.ts";
import { Module } from "./module.ts";
import { defaultUniform } from "./init.ts";

export interface RecurrentOptions {
  numLayers?: number;
  bias?: boolean;
  /** Input and output are [B, T, …] instead of [T, B, …]. */
  batchFirst?: boolean;
  bidirectional?: boolean;
  /** Parameter dtype (float64 for gradient checks on the CPU backend). */
  dtype?: DType;
}

type Mode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";
const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

interface Direction {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
}

abstract class Recurrent<S> extends Module<[Tensor, S], [state?: S]> {
  readonly numLayers: number;
  readonly batchFirst: boolean;
  readonly directions: number;
  readonly dtype: DType;
  /** [layer][direction] */
  protected readonly weights: Direction[][] = [];

  constructor(protected readonly mode: Mode, readonly inputSize: number, readonly hiddenSize: number, opts: RecurrentOptions) {
    super();
    this.numLayers = opts.numLayers ?? 1;
    this.batchFirst = opts.batchFirst ?? false;
    this.directions = opts.bidirectional ? 2 : 1;
    const name = this.constructor.name;
    if (!(Number.isInteger(this.numLayers) && this.numLayers >= 1)) throw new ShapeError(`${name}: numLayers must be ≥ 1, got ${this.numLayers}`);
    // as PyTorch: a hidden size of 0 is refused, an input size of 0 allowed
    if (!(Number.isInteger(hiddenSize) && hiddenSize >= 1)) throw new ShapeError(`${name}(${inputSize}, ${hiddenSize}): hiddenSize must be an integer ≥ 1`);
    if (!(Number.isInteger(inputSize) && inputSize >= 0)) throw new ShapeError(`${name}(${inputSize}, ${hiddenSize}): inputSize must be an integer ≥ 0`);
    const gh = GATES[mode] * hiddenSize;
    // PyTorch initialises every weight and bias U(−1/√H, 1/√H)
    this.dtype = opts.dtype ?? "float32";
    const init = (shape: number[]) => defaultUniform(shape, hiddenSize, undefined, this.dtype);
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? inputSize : hiddenSize * this.directions;
      this.weights.push(Array.from({ length: this.directions }, (_, d) => {
        const sfx = `_l${l}${d === 1 ? "_reverse" : ""}`;
        return {
          wIh: this.parameter(`weight_ih${sfx}`, init([gh, inSize])),
          wHh: this.parameter(`weight_hh${sfx}`, init([gh, hiddenSize])),
          bIh: opts.bias === false ? null : this.parameter(`bias_ih${sfx}`, init([gh])),
          bHh: opts.bias === false ? null : this.parameter(`bias_hh${sfx}`, init([gh])),
        };
      }));
    }
  }

  /** [T, B, I] view of the input, checked. */
  protected timeMajor(x: Tensor): Tensor {
    const name = this.constructor.name;
    if (x.rank !== 3 || x.shape[2] !== this.inputSize) {
      throw new ShapeError(`${name}(${this.inputSize}, ${this.hiddenSize}): input ${x.describe()} should be ${this.batchFirst ? "[B, T" : "[T, B"}, ${this.inputSize}]`);
    }
    if (x.shape[this.batchFirst ? 1 : 0] === 0) {
      throw new ShapeError(`${name}(${this.inputSize}, ${this.hiddenSize}): input ${x.describe()} has 0 time steps; a sequence needs at least one (as in PyTorch)`);
    }
    return this.batchFirst ? permute(x, [1, 0, 2]) : x;
  }

  protected checkState(what: string, s: Tensor, batch: number): void {
    const want = [this.numLayers * this.directions, batch, this.hiddenSize];
    if (s.shape.join() !== want.join()) throw new ShapeError(`${this.constructor.name}: initial ${what} ${fmtShape(s.shape)} should be ${fmtShape(want)}`);
  }

  /**
   * Runs every layer and direction. `direction(seq, w, state, reverse)` runs one direction over
   * all T steps of `seq` [T, B, I] from its initial state (null: zeros) and returns the outputs
   * hs [T, B, H] and the final state (h first).
   */
  protected run(x: Tensor, init: Tensor[] | null, direction: (seq: Tensor, w: Direction, state: Tensor[] | null, reverse: boolean) => { hs: Tensor; final: Tensor[] }): { output: Tensor; finals: Tensor[][] } {
    let seq = this.timeMajor(x);
    const finals: Tensor[][] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < this.directions; d++) {
        const k = l * this.directions + d;
        const state = init ? init.map((s) => squeeze(slice(s, { 0: [k, k + 1] }), 0)) : null;
        const { hs, final } = direction(seq, this.weights[l][d], state, d === 1);
        outs.push(hs);
        finals.push(final);
      }
      seq = this.directions === 1 ? outs[0] : concat(outs, 2);
    }
    return { output: this.batchFirst ? permute(seq, [1, 0, 2]) : seq, finals };
  }

  /** All input projections at once: [T·B, I]·W_ihᵀ + bias → [T, B, G·H]. */
  protected project(seq: Tensor, w: Tensor, bias: Tensor | null): Tensor {
    const [T, B, I] = seq.shape;
    return reshape(linear(reshape(seq, [T * B, I]), w, bias), [T, B, w.shape[0]]);
  }

  /** The state at the last step a direction runs: hs[T − 1], or hs[0] in reverse. */
  protected lastOf(hs: Tensor, reverse: boolean): Tensor {
    const t = reverse ? 0 : hs.shape[0] - 1;
    return squeeze(slice(hs, { 0: [t, t + 1] }), 0);
  }

  protected zeroState(batch: number): Tensor {
    return zeros([batch, this.hiddenSize], this.dtype);
  }

  protected biasOnly(b: Tensor | null, batch: number): Tensor {
    const gh = GATES[this.mode] * this.hiddenSize;
    return b ? expand(b, [batch, gh]) : zeros([batch, gh], this.dtype);
  }


  /** Stacks each direction's final state i into [layers·directions, B, H]. */
  protected stack(finals: Tensor[][], i: number): Tensor {
    return concat(finals.map((f) => unsqueeze(f[i], 0)), 0);
  }
}

/** Elman RNN: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (or relu). Returns [output, hN]. */
export class RNN extends Recurrent<Tensor> {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions & { nonlinearity?: "tanh" | "relu" } = {}) {
    super(opts.nonlinearity === "relu" ? "RNN_RELU" : "RNN_TANH", inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    if (h0) this.checkState("h0", h0, this.timeMajor(x).shape[1]);
    const act = this.mode === "RNN_RELU" ? relu : tanh;
    const { output, finals } = this.run(x, h0 ? [h0] : null, (seq, w, state, reverse) => {
      const [T, B] = seq.shape;
      const gi = unbind(this.project(seq, w.wIh, w.bIh), 0);
      const hs: Tensor[] = new Array(T);
      let h = state?.[0] ?? null;
      for (let s = 0; s < T; s++) {
        const t = reverse ? T - 1 - s : s;
        // from a zero state h·W_hhᵀ is zero: the first step's hidden projection is b_hh alone
        const gh = h === null ? this.biasOnly(w.bHh, B) : linear(h, w.wHh, w.bHh);
        hs[t] = h = act(add(gi[t], gh));
      }
      return { hs: concat(hs.map((v) => unsqueeze(v, 0)), 0), final: [h!] };
    });
    return [output, this.stack(finals, 0)];
  }
}

/** LSTM (gates i, f, g, o). Returns [output, [hN, cN]]. */
export class LSTM extends Recurrent<[Tensor, Tensor]> {
  /**
   * `forgetBias` (off by default, as PyTorch) sets the forget-gate slice of every bias_ih to
   * that value and of bias_hh to 0, so the cell starts out remembering (σ(1) ≈ 0.73 for 1, the
   * Keras default; Jozefowicz et al. 2015). It helps an LSTM off the plateau of long-memory tasks.
   */
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions & { forgetBias?: number } = {}) {
    super("LSTM", inputSize, hiddenSize, opts);
    if (opts.forgetBias !== undefined && opts.bias !== false) {
      const h = hiddenSize;
      const inForget = fromArray(Uint8Array.from({ length: 4 * h }, (_, i) => (i >= h && i < 2 * h ? 1 : 0)), [4 * h], "bool");
      for (const d of this.weights.flat()) {
        d.bIh!.assign(where(inForget, opts.forgetBias, d.bIh!));
        d.bHh!.assign(where(inForget, 0, d.bHh!));
      }
    }
  }
  forward(x: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    if (state) {
      const b = this.timeMajor(x).shape[1];
      this.checkState("h0", state[0], b);
      this.checkState("c0", state[1], b);
    }
    const { output, finals } = this.run(x, state ?? null, (seq, w, init, reverse) => {
      // both biases go into the input projection (they are summed before every step anyway)
      const bias = w.bIh && w.bHh ? add(w.bIh, w.bHh) : null;
      const [h0, c0] = init ?? [this.zeroState(seq.shape[1]), this.zeroState(seq.shape[1])];
      const [hs, cN] = lstmSequence(this.project(seq, w.wIh, bias), w.wHh, h0, c0, reverse);
      return { hs, final: [this.lastOf(hs, reverse), cN] };
    });
    return [output, [this.stack(finals, 0), this.stack(finals, 1)]];
  }
}

/** GRU (gates r, z, n; the reset gate applies to the hidden projection). Returns [output, hN]. */
export class GRU extends Recurrent<Tensor> {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super("GRU", inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    if (h0) this.checkState("h0", h0, this.timeMajor(x).shape[1]);
    const { output, finals } = this.run(x, h0 ? [h0] : null, (seq, w, init, reverse) => {
      const h = init?.[0] ?? this.zeroState(seq.shape[1]);
      const hs = gruSequence(this.project(seq, w.wIh, w.bIh), w.wHh, h, w.bHh, reverse);
      return { hs, final: [this.lastOf(hs, reverse)] };
    });
    return [output, this.stack(finals, 0)];
  }
}
