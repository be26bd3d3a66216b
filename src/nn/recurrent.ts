/**
 * @file nn.RNN, nn.LSTM, nn.GRU as torch.nn: multi-layer, optionally bidirectional, input
 * [T, B, I] (or [B, T, I] with batchFirst), optional initial states, returning every step's
 * output and the final states [layers·directions, B, H]. Parameters carry PyTorch's names
 * and layouts (weight_ih_l0 [G·H, I], weight_hh_l0 [G·H, H], bias_ih_l0, bias_hh_l0, and
 * `_reverse` for the backward direction; G = 1, 4, 3), so safetensors weights move both ways.
 * Each direction computes the input projections of all time steps in one matmul, then steps
 * the fused cell (lstmCell / gruCell; RNN: tanh or relu of the sum). From a zero initial state
 * the first step skips its hidden matmul (h·W_hhᵀ = 0), so W_hh's gradient has T − 1 terms.
 * Backprop through time is ordinary autodiff over the unrolled graph, all in one compiled plan.
 */
import type { Tensor } from "../tensor.ts";
import type { DType } from "../dtype.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { fromArray, zeros } from "../creation.ts";
import { add, relu, tanh, where } from "../ops/elementwise.ts";
import { expand } from "../ops/sum.ts";
import { concat, permute, reshape, slice, squeeze, unbind, unsqueeze } from "../ops/movement.ts";
import { lstmCell } from "../ops/lstm_cell.ts";
import { gruCell } from "../ops/gru_cell.ts";
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
   * Runs every layer and direction. `step(gi, gh, state)` advances one time step from the
   * input and hidden projections; states are arrays (h, or h and c), index 0 is h.
   */
  protected run(x: Tensor, init: Tensor[] | null, step: (gi: Tensor, gh: Tensor, state: Tensor[]) => Tensor[]): { output: Tensor; finals: Tensor[][] } {
    let seq = this.timeMajor(x);
    const [T, B] = seq.shape;
    const finals: Tensor[][] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < this.directions; d++) {
        const w = this.weights[l][d];
        const k = l * this.directions + d;
        let state = init ? init.map((s) => squeeze(slice(s, { 0: [k, k + 1] }), 0)) : init === null ? this.zeroState(B) : [];
        // all input projections at once: [T·B, I] · W_ihᵀ + b_ih → [T, B, G·H]
        const gi = unbind(reshape(linear(reshape(seq, [T * B, seq.shape[2]]), w.wIh, w.bIh), [T, B, w.wIh.shape[0]]), 0);
        const hs: Tensor[] = new Array(T);
        for (let s = 0; s < T; s++) {
          const t = d === 0 ? s : T - 1 - s;
          // from a zero state h·W_hhᵀ is zero: the first step's hidden projection is b_hh alone
          const gh = s === 0 && init === null ? this.biasOnly(w.bHh, B) : linear(state[0], w.wHh, w.bHh);
          state = step(gi[t], gh, state);
          hs[t] = state[0];
        }
        outs.push(concat(hs.map((h) => unsqueeze(h, 0)), 0));
        finals.push(state);
      }
      seq = this.directions === 1 ? outs[0] : concat(outs, 2);
    }
    return { output: this.batchFirst ? permute(seq, [1, 0, 2]) : seq, finals };
  }

  private biasOnly(b: Tensor | null, batch: number): Tensor {
    const gh = GATES[this.mode] * this.hiddenSize;
    return b ? expand(b, [batch, gh]) : zeros([batch, gh], this.dtype);
  }

  private zeroState(batch: number): Tensor[] {
    const n = this.mode === "LSTM" ? 2 : 1;
    return Array.from({ length: n }, () => zeros([batch, this.hiddenSize], this.dtype));
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
    const { output, finals } = this.run(x, h0 ? [h0] : null, (gi, gh) => [act(add(gi, gh))]);
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
    const { output, finals } = this.run(x, state ?? null, (gi, gh, [, c]) => lstmCell(gi, c, gh));
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
    const { output, finals } = this.run(x, h0 ? [h0] : null, (gi, gh, [h]) => [gruCell(gi, gh, h)]);
    return [output, this.stack(finals, 0)];
  }
}
