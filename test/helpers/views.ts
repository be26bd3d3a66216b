/**
 * @file A compiled function that reads through planner views (reshapes of an input and of a
 * temporary that must outlive a chain), with its float64 answer: run on each backend.
 */
import * as W from "../../src/index.ts";

export function viewsFixture(): { run: () => Promise<Float32Array>; want: Float64Array } {
  const f = W.compile((x: W.Tensor) => {
    const a = W.exp(x);
    let y = W.neg(W.reshape(x, [6, 4])); // a view of an input
    for (let i = 0; i < 4; i++) y = W.tanh(y); // would reuse a's buffer if a's life ended early
    return W.sum(W.mul(W.reshape(a, [6, 4]), y), 1);
  });
  const xs = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) / 2);
  const want = new Float64Array(6);
  for (let i = 0; i < 24; i++) {
    let y = -xs[i];
    for (let k = 0; k < 4; k++) y = Math.tanh(y);
    want[Math.floor(i / 4)] += y * Math.exp(xs[i]);
  }
  return { run: async () => (await f(W.tensor(Array.from(xs), [4, 6])).data()) as Float32Array, want };
}
