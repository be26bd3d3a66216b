/**
 * @file A sequence classifier: an LSTM (or a GRU, `cell: "gru"`) reads an input row by row
 * and a linear layer classifies its last hidden state. For MNIST the 28 rows of an image are
 * the 28 time steps (input 28, hidden 128 by default), the classic test of learning
 * long-range structure.
 */
import type { Tensor } from "../tensor.ts";
import { ShapeError } from "../errors.ts";
import { permute, reshape, squeeze } from "../ops/movement.ts";
import { Module } from "../nn/module.ts";
import { Linear } from "../nn/layers.ts";
import { GRU, LSTM } from "../nn/recurrent.ts";

export class LSTMClassifier extends Module {
  /** The recurrent layer (its parameters are named `lstm.*` for either cell). */
  readonly lstm: LSTM | GRU;
  fc: Linear;
  readonly cell: "lstm" | "gru";

  constructor(readonly inputSize = 28, readonly hiddenSize = 128, readonly classes = 10, opts: { cell?: "lstm" | "gru" } = {}) {
    super();
    this.cell = opts.cell ?? "lstm";
    this.lstm = this.module("lstm", this.cell === "gru" ? new GRU(inputSize, hiddenSize) : new LSTM(inputSize, hiddenSize));
    this.fc = this.module("fc", new Linear(hiddenSize, classes));
  }

  /** x [N, T, I] (an MNIST batch [N, 1, 28, 28] is read as [N, 28, 28]) → logits [N, classes]. */
  forward(x: Tensor): Tensor {
    const seq = x.rank === 4 && x.shape[1] === 1 ? reshape(x, [x.shape[0], x.shape[2], x.shape[3]]) : x;
    if (seq.rank !== 3 || seq.shape[2] !== this.inputSize) {
      throw new ShapeError(`LSTMClassifier: expected [N, T, ${this.inputSize}] (or [N, 1, T, ${this.inputSize}]), got ${x.describe()}`);
    }
    // time-major; the last step's h is the final state (not the output sequence sliced: the
    // sequence is then never built, nor its gradient, mostly zeros, added into every step)
    const time = permute(seq, [1, 0, 2]);
    const hN = this.lstm instanceof GRU ? this.lstm.forward(time)[1] : this.lstm.forward(time)[1][0];
    return this.fc.forward(squeeze(hN, 0));
  }
}
