/**
 * @file The peer: TensorFlow.js 4.22 (`@tensorflow/tfjs-core` with `tfjs-backend-cpu` and
 * `tfjs-backend-webgpu`), each case written the way a tfjs user would write it, NHWC as tfjs
 * prefers. In Node, tfjs-webgpu reaches Dawn through `navigator.gpu`, set here to the same GPU
 * entry (and so the same adapter) our backend uses. Every iteration runs inside `tf.tidy` and
 * awaits `data()`, so a number is finished work and memory does not grow.
 */
import type * as TF from "@tensorflow/tfjs-core";
import { gpuEntry } from "../src/backends/webgpu/device.ts";
import type { CaseKey } from "./cases.ts";

export type Tf = typeof TF;
export type PeerBackend = "tfjs-cpu" | "tfjs-webgpu";

let tfModule: Tf | null = null;

/** Loads tfjs and switches it to `backend` (cpu or webgpu). */
export async function loadTf(backend: PeerBackend): Promise<Tf> {
  if (!tfModule) {
    if (backend === "tfjs-webgpu" || typeof (globalThis as { navigator?: unknown }).navigator === "undefined") {
      const g = globalThis as unknown as { navigator?: Record<string, unknown> };
      const nav = (g.navigator ??= {});
      if (!("gpu" in nav) && typeof process !== "undefined") Object.defineProperty(nav, "gpu", { value: await gpuEntry(), configurable: true });
    }
    const tf = await import("@tensorflow/tfjs-core");
    // tfjs-core's Node build registers no gradients; the @tensorflow/tfjs bundle registers them
    // (and the CPU backend) in tfjs's global registries, which tfjs-core shares
    await import("@tensorflow/tfjs");
    await import("@tensorflow/tfjs-backend-cpu");
    await import("@tensorflow/tfjs-backend-webgpu");
    tf.enableProdMode(); // no debug checks, as a user timing tfjs would run it
    tfModule = tf;
  }
  const tf = tfModule;
  if (!(await tf.setBackend(backend === "tfjs-cpu" ? "cpu" : "webgpu"))) throw new Error(`bench: tfjs could not start its ${backend} backend`);
  await tf.ready();
  return tf;
}

/** Runs `f` in a tidy scope and waits for every tensor it returns. */
async function settle(tf: Tf, f: () => TF.Tensor | TF.Tensor[]): Promise<void> {
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  await Promise.all(list.map((t) => t.data()));
  tf.dispose(list);
}

/** LeNet-5 (modern) in tfjs: NHWC, the same layer sizes as ours. */
function lenet(tf: Tf) {
  const v = (shape: number[]) => tf.variable(tf.randomUniform(shape, -0.1, 0.1));
  const p = {
    c1: v([5, 5, 1, 6]), b1: v([6]), c2: v([5, 5, 6, 16]), b2: v([16]),
    f1: v([400, 120]), g1: v([120]), f2: v([120, 84]), g2: v([84]), f3: v([84, 10]), g3: v([10]),
  };
  const forward = (x: TF.Tensor4D) => {
    let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, p.c1 as TF.Tensor4D, 1, [[0, 0], [2, 2], [2, 2], [0, 0]]), p.b1)) as TF.Tensor4D, 2, 2, "valid");
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, p.c2 as TF.Tensor4D, 1, "valid"), p.b2)) as TF.Tensor4D, 2, 2, "valid");
    let f = tf.reshape(h, [x.shape[0], 400]) as TF.Tensor2D;
    f = tf.relu(tf.add(tf.matMul(f, p.f1 as TF.Tensor2D), p.g1)) as TF.Tensor2D;
    f = tf.relu(tf.add(tf.matMul(f, p.f2 as TF.Tensor2D), p.g2)) as TF.Tensor2D;
    return tf.add(tf.matMul(f, p.f3 as TF.Tensor2D), p.g3) as TF.Tensor2D;
  };
  return { forward, vars: Object.values(p) };
}

/** One LSTM cell step in tfjs ops (gates i, f, g, o), x [B, I], h and c [B, H]. */
function lstmStep(tf: Tf, x: TF.Tensor2D, h: TF.Tensor2D, c: TF.Tensor2D, wi: TF.Tensor2D, wh: TF.Tensor2D, b: TF.Tensor1D): [TF.Tensor2D, TF.Tensor2D] {
  const gates = tf.add(tf.add(tf.matMul(x, wi, false, true), tf.matMul(h, wh, false, true)), b);
  const [i, f, g, o] = tf.split(gates, 4, 1);
  const c2 = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as TF.Tensor2D;
  return [tf.mul(tf.sigmoid(o), tf.tanh(c2)) as TF.Tensor2D, c2];
}

/** One GRU cell step in tfjs ops (PyTorch's: gates r, z, n, b_hh inside the reset gate's product), x [B, I], h [B, H]. */
function gruStep(tf: Tf, x: TF.Tensor2D, h: TF.Tensor2D, wi: TF.Tensor2D, wh: TF.Tensor2D, bi: TF.Tensor1D, bh: TF.Tensor1D): TF.Tensor2D {
  const [xr, xz, xn] = tf.split(tf.add(tf.matMul(x, wi, false, true), bi), 3, 1);
  const [hr, hz, hn] = tf.split(tf.add(tf.matMul(h, wh, false, true), bh), 3, 1);
  const r = tf.sigmoid(tf.add(xr, hr)), z = tf.sigmoid(tf.add(xz, hz));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  return tf.add(n, tf.mul(z, tf.sub(h, n))) as TF.Tensor2D;
}

/** The tfjs version of a case, or undefined where there is none. */
export function peerCase(tf: Tf, key: CaseKey): (() => Promise<void>) | undefined {
  switch (key.kind) {
    case "matmul": {
      const a = tf.randomNormal([key.m, key.k]), b = tf.randomNormal([key.k, key.n]);
      return () => settle(tf, () => tf.matMul(a as TF.Tensor2D, b as TF.Tensor2D));
    }
    case "conv2d": {
      const x = tf.randomNormal([key.batch, 14, 14, 6]) as TF.Tensor4D, w = tf.randomNormal([5, 5, 6, 16]) as TF.Tensor4D;
      const g = tf.grads((xx: TF.Tensor, ww: TF.Tensor) => tf.sum(tf.conv2d(xx as TF.Tensor4D, ww as TF.Tensor4D, 1, "valid")));
      return () => settle(tf, () => g([x, w]));
    }
    case "lenetTrain": {
      const net = lenet(tf);
      const opt = tf.train.adam(1e-3);
      const x = tf.randomNormal([key.batch, 28, 28, 1]) as TF.Tensor4D;
      const y = tf.oneHot(tf.tensor1d(Array.from({ length: key.batch }, (_, i) => i % 10), "int32"), 10);
      return () => settle(tf, () => opt.minimize(() => tf.losses.softmaxCrossEntropy(y, net.forward(x)) as TF.Scalar, true, net.vars as TF.Variable[])!);
    }
    case "lenetInfer": {
      const net = lenet(tf);
      const x = tf.randomNormal([key.batch, 28, 28, 1]) as TF.Tensor4D;
      return () => settle(tf, () => net.forward(x));
    }
    case "lstmCell": {
      const h = key.hidden;
      const [x, h0, c0] = [tf.randomNormal([key.batch, 28]), tf.randomNormal([key.batch, h]), tf.randomNormal([key.batch, h])] as TF.Tensor2D[];
      const [wi, wh] = [tf.randomNormal([4 * h, 28], 0, 0.1), tf.randomNormal([4 * h, h], 0, 0.1)] as TF.Tensor2D[];
      const b = tf.zeros([4 * h]) as TF.Tensor1D;
      const g = tf.grads((a: TF.Tensor, bb: TF.Tensor) => {
        const [hh, cc] = lstmStep(tf, x, h0, c0, a as TF.Tensor2D, bb as TF.Tensor2D, b);
        return tf.add(tf.sum(hh), tf.sum(cc));
      });
      return () => settle(tf, () => g([wi, wh]));
    }
    case "lstmTrain": {
      const { batch, hidden: h, steps } = key;
      const v = (shape: number[]) => tf.variable(tf.randomUniform(shape, -0.08, 0.08));
      const [wi, wh, b, fc, fb] = [v([4 * h, 28]), v([4 * h, h]), v([4 * h]), v([h, 10]), v([10])];
      const opt = tf.train.adam(1e-3);
      const x = tf.randomNormal([steps, batch, 28]);
      const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), "int32"), 10);
      const rows = tf.unstack(x) as TF.Tensor2D[];
      return () => settle(tf, () => opt.minimize(() => {
        let hs = tf.zeros([batch, h]) as TF.Tensor2D, cs = tf.zeros([batch, h]) as TF.Tensor2D;
        for (const r of rows) [hs, cs] = lstmStep(tf, r, hs, cs, wi as TF.Tensor2D, wh as TF.Tensor2D, b as TF.Tensor1D);
        return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(hs, fc as TF.Tensor2D), fb)) as TF.Scalar;
      }, true, [wi, wh, b, fc, fb])!);
    }
    case "gruTrain": {
      const { batch, hidden: h, steps } = key;
      const v = (shape: number[]) => tf.variable(tf.randomUniform(shape, -0.08, 0.08));
      const [wi, wh, bi, bh, fc, fb] = [v([3 * h, 28]), v([3 * h, h]), v([3 * h]), v([3 * h]), v([h, 10]), v([10])];
      const opt = tf.train.adam(1e-3);
      const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), "int32"), 10);
      const rows = tf.unstack(tf.randomNormal([steps, batch, 28])) as TF.Tensor2D[];
      return () => settle(tf, () => opt.minimize(() => {
        let hs = tf.zeros([batch, h]) as TF.Tensor2D;
        for (const r of rows) hs = gruStep(tf, r, hs, wi as TF.Tensor2D, wh as TF.Tensor2D, bi as TF.Tensor1D, bh as TF.Tensor1D);
        return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(hs, fc as TF.Tensor2D), fb)) as TF.Scalar;
      }, true, [wi, wh, bi, bh, fc, fb])!);
    }
    default:
      return undefined;
  }
}
