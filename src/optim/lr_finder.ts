/**
 * @file The learning-rate range test ("find a learning rate", Smith 2017; fastai's lr_find):
 * train for up to `steps` batches while the rate grows exponentially from `startLr` to
 * `endLr`, keep an exponentially smoothed (bias-corrected) loss, and stop once it diverges
 * (above `divergeFactor` × its best, or a non-finite step). The suggestion is the rule
 * "minimum / 10": a tenth of the rate at which the smoothed loss was lowest, where the loss is
 * still falling fast. The model's weights and the optimizer's state (moments, step count,
 * rate) are put back afterwards, so the sweep runs "from a copy" and training starts as if
 * it had not happened. `lrFinderSvg` draws the curve (the CLI's SVG; the demo draws the same).
 */
import type { Tensor } from "../tensor.ts";
import { fromArray } from "../creation.ts";
import { GraphError, NonFiniteError } from "../errors.ts";
import { assignAll } from "../graph/executor.ts";
import type { Module } from "../nn/module.ts";
import type { Batch, Batches } from "../data/loader.ts";
import type { Optimizer } from "./optimizer.ts";

export interface FindLrOptions {
  startLr?: number;
  endLr?: number;
  /** Most batches to sweep over (default 100). */
  steps?: number;
  /** Weight of the past in the smoothed loss (default 0.98, as fastai). */
  smoothing?: number;
  /** Stop when the smoothed loss exceeds this × its minimum (default 4). */
  divergeFactor?: number;
  /** Called after each step (a progress bar). */
  onStep?: (i: number, lr: number, smoothed: number) => void;
}

export interface LrFinderResult {
  lrs: number[];
  losses: number[];
  smoothed: number[];
  /** The suggested rate, by `rule`. */
  suggestion: number;
  rule: string;
  /** The rate at the smoothed loss's minimum. */
  minimumAt: number;
  /** Why the sweep ended: the loss diverged or went non-finite, the rate reached endLr, or the batches ran out first. */
  stopped: "diverged" | "non-finite" | "end of range" | "out of batches";
}

/**
 * Runs the range test with `step` (a compiled training step using `optimizer`) over
 * `batches`, then restores `model` and `optimizer`. A loader (`epochBatches`) is read epoch
 * after epoch for as long as the sweep runs; a plain iterable ends the sweep when it ends.
 * Each batch and the step's outputs are disposed once the step is submitted.
 */
export async function findLr(
  model: Module,
  optimizer: Optimizer,
  step: (x: Tensor, y: Tensor) => { loss: Tensor; logits?: Tensor },
  batches: Iterable<Batch> | Batches,
  opts: FindLrOptions = {},
): Promise<LrFinderResult> {
  const { startLr = 1e-7, endLr = 10, steps = 100, smoothing = 0.98, divergeFactor = 4 } = opts;
  if (!(startLr > 0 && endLr > startLr)) throw new GraphError(`findLr: needs 0 < startLr < endLr, got ${startLr} and ${endLr}`);
  if (!(Number.isInteger(steps) && steps >= 2)) throw new GraphError(`findLr: steps must be an integer ≥ 2, got ${steps}`);
  // the copy: every parameter and every optimizer state, on the host
  const params = model.parameters();
  const saved = await Promise.all(params.map(async (p) => (await p.data()).slice()));
  const state = new Map<string, { dtype: string; shape: number[]; data: Float32Array | Float64Array | Int32Array | Uint8Array }>();
  for (const [k, t] of optimizer.stateDict()) state.set(k, { dtype: t.dtype, shape: [...t.shape], data: (await t.data()).slice() as Float32Array });
  const lr0 = optimizer.lr;
  const lrs: number[] = [], losses: number[] = [], smoothed: number[] = [];
  let avg = 0, best = Infinity, stopped: LrFinderResult["stopped"] = "out of batches";
  try {
    let i = 0;
    const source: Iterable<Batch> = "epochBatches" in batches ? (function* () {
      for (let e = 0; ; e++) yield* batches.epochBatches(e);
    })() : batches;
    for (const { x, y } of source) {
      if (i >= steps) {
        stopped = "end of range";
        break;
      }
      const lr = startLr * (endLr / startLr) ** (i / (steps - 1));
      optimizer.lr = lr;
      const out = step(x, y);
      // back to the pool now (work queued on them runs first)
      for (const used of [x, y, out.logits]) used?.dispose();
      let loss: number;
      try {
        loss = await out.loss.item();
      } catch (e) {
        if (!(e instanceof NonFiniteError)) throw e;
        stopped = "non-finite";
        break;
      }
      if (!Number.isFinite(loss)) {
        stopped = "non-finite";
        break;
      }
      avg = smoothing * avg + (1 - smoothing) * loss;
      const s = avg / (1 - smoothing ** (i + 1));
      lrs.push(lr);
      losses.push(loss);
      smoothed.push(s);
      opts.onStep?.(i, lr, s);
      best = Math.min(best, s);
      i++;
      if (i > 5 && s > divergeFactor * best) {
        stopped = "diverged";
        break;
      }
    }
    if (i >= steps && stopped === "out of batches") stopped = "end of range";
  } finally {
    assignAll(params.map((p, k): [Tensor, Tensor] => [p, fromArray(saved[k], [...p.shape], p.dtype)]));
    optimizer.loadStateDict(state, "the optimizer state before findLr");
    optimizer.lr = lr0; // exactly (the state holds it rounded to the parameters' dtype)
  }
  if (lrs.length < 2) throw new GraphError(`findLr: only ${lrs.length} step(s) ran (${stopped}); give more batches or a lower startLr`);
  const k = smoothed.indexOf(Math.min(...smoothed));
  return { lrs, losses, smoothed, minimumAt: lrs[k], suggestion: lrs[k] / 10, rule: "minimum / 10: a tenth of the rate at the smoothed loss's minimum", stopped };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** The loss-vs-rate curve (log rate axis) with the suggestion marked, as a standalone SVG. */
export function lrFinderSvg(r: LrFinderResult, title = "learning-rate range test"): string {
  const W = 640, H = 370, L = 64, R = 20, T = 52, B = 48;
  const lx = r.lrs.map(Math.log10);
  const [x0, x1] = [Math.floor(Math.min(...lx)), Math.ceil(Math.max(...lx))];
  // the y range from the smoothed curve (the raw losses after divergence would flatten it)
  const lo = Math.min(...r.smoothed), hi = Math.min(Math.max(...r.smoothed), r.smoothed[0] * 1.5, lo * 4 + 1e-9);
  const [y0, y1] = [lo - 0.05 * (hi - lo || 1), hi + 0.05 * (hi - lo || 1)];
  const px = (v: number) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const py = (v: number) => T + (1 - (Math.min(Math.max(v, y0), y1) - y0) / (y1 - y0)) * (H - T - B);
  const path = (ys: number[]) => ys.map((v, i) => `${i ? "L" : "M"}${px(lx[i]).toFixed(1)},${py(v).toFixed(1)}`).join("");
  const xt = Array.from({ length: x1 - x0 + 1 }, (_, i) => x0 + i);
  const yt = Array.from({ length: 5 }, (_, i) => y0 + ((y1 - y0) * i) / 4);
  const sx = px(Math.log10(r.suggestion));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${L}" y="20" font-size="14">${esc(title)}</text>
${xt.map((t) => `<line x1="${px(t)}" x2="${px(t)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${px(t)}" y="${H - B + 16}" text-anchor="middle">1e${t}</text>`).join("\n")}
${yt.map((t) => `<line x1="${L}" x2="${W - R}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/><text x="${L - 6}" y="${py(t) + 4}" text-anchor="end">${t.toPrecision(3)}</text>`).join("\n")}
<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">learning rate (log scale)</text>
<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">loss</text>
<path d="${path(r.losses)}" fill="none" stroke="#9ab" stroke-width="1"/>
<path d="${path(r.smoothed)}" fill="none" stroke="#1f6fb4" stroke-width="2"/>
<line x1="${sx}" x2="${sx}" y1="${T}" y2="${H - B}" stroke="#d62728" stroke-dasharray="4 3"/>
<text x="${sx + 4}" y="${T + 14}" fill="#d62728">suggested ${r.suggestion.toPrecision(2)} (${esc(r.rule.split(":")[0])})</text>
<text x="${L}" y="38" font-size="11" fill="#555">light: the loss of each step; dark: smoothed; ${r.lrs.length} steps, ${r.stopped}</text>
</svg>
`;
}
