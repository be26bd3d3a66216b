/**
 * @file The second peer: jax-js 0.1 (`@jax-js/jax`, the strongest TypeScript peer) on its wasm
 * (multi-threaded WebAssembly) and WebGPU devices, each case written as a jax-js user would:
 * NCHW convolutions through `lax.conv`, max pooling through `lax.reduceWindow`, the training
 * step one `jit` of `valueAndGrad` plus Adam written with `tree.map` (jax-js has no optax).
 * jax-js owns arrays by reference count: an array passed to an op is consumed unless passed
 * as `.ref`, so inputs reused across iterations are passed as refs. In Node jax-js has no
 * WebGPU of its own: `navigator.gpu` is set to the same GPU entry (and so the same adapter)
 * our backend uses, with a `userAgent` (jax-js reads it to detect Firefox). Every iteration
 * awaits `data()` of its result, so a number is finished work.
 */
import type * as JAX from "@jax-js/jax";
import { gpuEntry } from "../src/backends/webgpu/device.ts";
import type { CaseKey } from "./cases.ts";

export type Jax = typeof JAX;
export type JaxBackend = "jax-wasm" | "jax-webgpu";
type Arr = JAX.Array;

let jaxModule: Jax | null = null;

/** Loads jax-js and makes `backend`'s device the default. */
export async function loadJax(backend: JaxBackend): Promise<Jax> {
  const device = backend === "jax-wasm" ? "wasm" : "webgpu";
  if (!jaxModule) {
    const g = globalThis as unknown as { navigator?: Record<string, unknown> };
    const nav = (g.navigator ??= {});
    if (typeof process !== "undefined") {
      if (!("gpu" in nav)) Object.defineProperty(nav, "gpu", { value: await gpuEntry(), configurable: true });
      if (!("userAgent" in nav)) Object.defineProperty(nav, "userAgent", { value: `Node.js/${process.version}`, configurable: true });
    }
    jaxModule = await import("@jax-js/jax");
  }
  const jax = jaxModule;
  const ready = (await jax.init(device)) ?? [];
  if (!ready.includes(device)) throw new Error(`bench: jax-js could not start its ${device} device (it has ${ready.join(", ") || "none"})`);
  jax.defaultDevice(device);
  return jax;
}

/** LeNet-5 (modern) in jax-js, NCHW as ours: parameters and the forward pass. */
function lenet(jax: Jax, batch: number) {
  const { numpy: np, lax, nn, random } = jax;
  const u = (shape: number[], seed: number) => random.uniform(random.key(seed), shape, { minval: -0.1, maxval: 0.1 });
  const params: Record<string, Arr> = {
    c1: u([6, 1, 5, 5], 1), b1: np.zeros([6]), c2: u([16, 6, 5, 5], 2), b2: np.zeros([16]),
    f1: u([400, 120], 3), g1: np.zeros([120]), f2: u([120, 84], 4), g2: np.zeros([84]), f3: u([84, 10], 5), g3: np.zeros([10]),
  };
  const pool = (h: Arr) => lax.reduceWindow(h, (w) => np.max(w), [1, 1, 2, 2], [1, 1, 2, 2]);
  const forward = (p: Record<string, Arr>, x: Arr) => {
    let h = pool(nn.relu(lax.conv(x, p.c1, [1, 1], [[2, 2], [2, 2]]).add(p.b1.reshape([1, 6, 1, 1]))));
    h = pool(nn.relu(lax.conv(h, p.c2, [1, 1], "VALID").add(p.b2.reshape([1, 16, 1, 1]))));
    let f = nn.relu(np.matmul(h.reshape([batch, 400]), p.f1).add(p.g1));
    f = nn.relu(np.matmul(f, p.f2).add(p.g2));
    return np.matmul(f, p.f3).add(p.g3);
  };
  return { params, forward };
}

/**
 * One LSTM step as torch.nn.LSTM computes it (gates i, f, g, o): [h', c'] from x [B, I], h and
 * c [B, H], weights [4H, I] and [4H, H], bias [4H]. Every argument is consumed (jax-js's
 * ownership): pass refs of what is used again.
 */
function lstmStep(jax: Jax, x: Arr, h: Arr, c: Arr, wi: Arr, wh: Arr, b: Arr): [Arr, Arr] {
  const { numpy: np, nn } = jax;
  const gates = np.matmul(x, np.transpose(wi)).add(np.matmul(h, np.transpose(wh))).add(b);
  const [i, f, g, o] = np.split(gates, 4, 1);
  const c2 = nn.sigmoid(f).mul(c).add(nn.sigmoid(i).mul(np.tanh(g)));
  return [nn.sigmoid(o).mul(np.tanh(c2.ref)), c2];
}

/** One GRU cell step (PyTorch's: gates r, z, n, b_hh inside the reset gate's product); h' = n + z·(h − n). */
function gruStep(jax: Jax, x: Arr, h: Arr, wi: Arr, wh: Arr, bi: Arr, bh: Arr): Arr {
  const { numpy: np, nn } = jax;
  const [xr, xz, xn] = np.split(np.matmul(x, np.transpose(wi)).add(bi), 3, 1);
  const [hr, hz, hn] = np.split(np.matmul(h.ref, np.transpose(wh)).add(bh), 3, 1);
  const r = nn.sigmoid(xr.add(hr)), z = nn.sigmoid(xz.add(hz));
  const n = np.tanh(xn.add(r.mul(hn)));
  const d = h.sub(n.ref);
  return n.add(z.mul(d));
}

/**
 * A training iteration of `loss` with Adam as torch.optim.Adam computes it (lr 1e-3), one jit
 * with the gradient: jax-js has no optax, so the update is written with `tree.map`. Each call
 * runs one step on the same batch and awaits the loss.
 */
function adamLoop(jax: Jax, params: Record<string, Arr>, loss: (p: Record<string, Arr>, x: Arr, y: Arr) => Arr, x: Arr, y: Arr): () => Promise<void> {
  const { numpy: np, tree, jit, valueAndGrad } = jax;
  const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-8];
  const step = jit((p: Record<string, Arr>, m: Record<string, Arr>, v: Record<string, Arr>, t: Arr, xx: Arr, yy: Arr) => {
    const [l, g] = valueAndGrad(loss)(tree.ref(p), xx, yy);
    const c1 = np.power(b1, t.ref).mul(-1).add(1), c2 = np.power(b2, t).mul(-1).add(1);
    const m2 = tree.map((mm: Arr, gg: Arr) => mm.mul(b1).add(gg.mul(1 - b1)), m, tree.ref(g));
    const v2 = tree.map((vv: Arr, gg: Arr) => vv.mul(b2).add(gg.ref.mul(gg).mul(1 - b2)), v, g);
    const p2 = tree.map((pp: Arr, mm: Arr, vv: Arr) => pp.sub(mm.div(c1.ref).mul(lr).div(np.sqrt(vv.div(c2.ref)).add(eps))), p, tree.ref(m2), tree.ref(v2));
    c1.dispose();
    c2.dispose();
    return [p2, m2, v2, l] as const;
  });
  let state = { p: params, m: tree.map((a: Arr) => np.zerosLike(a.ref), params), v: tree.map((a: Arr) => np.zerosLike(a.ref), params) };
  let t = 0;
  return async () => {
    const [p, m, v, l] = step(state.p, state.m, state.v, np.array(++t), x.ref, y.ref);
    state = { p, m, v };
    await l.data();
  };
}

/** The jax-js version of a case, or undefined where there is none. */
export function jaxCase(jax: Jax, key: CaseKey): (() => Promise<void>) | undefined {
  const { numpy: np, lax, nn, random, tree, jit, grad } = jax;
  const labels = (batch: number) => nn.oneHot(np.array(Array.from({ length: batch }, (_, i) => i % 10), { dtype: np.int32 }), 10);
  switch (key.kind) {
    case "matmul": {
      const a = random.normal(random.key(1), [key.m, key.k]), b = random.normal(random.key(2), [key.k, key.n]);
      const mm = jit((x: Arr, y: Arr) => np.matmul(x, y));
      return async () => void (await mm(a.ref, b.ref).data());
    }
    case "conv2d": {
      const x = random.normal(random.key(3), [key.batch, 6, 14, 14]), w = random.normal(random.key(4), [16, 6, 5, 5]);
      const g = jit(grad((xx: Arr, ww: Arr) => np.sum(lax.conv(xx, ww, [1, 1], "VALID")), { argnums: [0, 1] }));
      return async () => {
        const [gx, gw] = g(x.ref, w.ref);
        await Promise.all([gx.data(), gw.data()]);
      };
    }
    case "lstmCell": {
      const h = key.hidden;
      const [x, h0, c0] = [random.normal(random.key(6), [key.batch, 28]), random.normal(random.key(7), [key.batch, h]), random.normal(random.key(8), [key.batch, h])];
      const [wi, wh] = [random.normal(random.key(9), [4 * h, 28]).mul(0.1), random.normal(random.key(10), [4 * h, h]).mul(0.1)];
      const b = np.zeros([4 * h]);
      const g = jit(grad((a: Arr, bb: Arr, xx: Arr, hh: Arr, cc: Arr, bias: Arr) => {
        const [h1, c1] = lstmStep(jax, xx, hh, cc, a, bb, bias);
        return np.sum(h1).add(np.sum(c1));
      }, { argnums: [0, 1] }));
      return async () => {
        const [gi, gh] = g(wi.ref, wh.ref, x.ref, h0.ref, c0.ref, b.ref);
        await Promise.all([gi.data(), gh.data()]);
      };
    }
    case "lstmTrain": {
      const { batch, hidden: h, steps } = key;
      const u = (shape: number[], seed: number) => random.uniform(random.key(seed), shape, { minval: -0.08, maxval: 0.08 });
      const params: Record<string, Arr> = { wi: u([4 * h, 28], 1), wh: u([4 * h, h], 2), b: u([4 * h], 3), fc: u([h, 10], 4), fb: u([10], 5) };
      // the sequence unrolled inside one jit, as tfjs's peer and our LSTMClassifier run it
      const loss = (p: Record<string, Arr>, x: Arr, y: Arr) => {
        let hs = np.zeros([batch, h]), cs = np.zeros([batch, h]);
        const rows = np.split(x, steps, 0);
        for (const r of rows) [hs, cs] = lstmStep(jax, r.reshape([batch, 28]), hs, cs, p.wi.ref, p.wh.ref, p.b.ref);
        cs.dispose();
        for (const k of ["wi", "wh", "b"]) p[k].dispose();
        return np.mean(np.sum(nn.logSoftmax(np.matmul(hs, p.fc).add(p.fb), -1).mul(y), -1)).mul(-1);
      };
      return adamLoop(jax, params, loss, random.normal(random.key(11), [steps, batch, 28]), labels(batch));
    }
    case "gruTrain": {
      const { batch, hidden: h, steps } = key;
      const u = (shape: number[], seed: number) => random.uniform(random.key(seed), shape, { minval: -0.08, maxval: 0.08 });
      const params: Record<string, Arr> = { wi: u([3 * h, 28], 1), wh: u([3 * h, h], 2), bi: u([3 * h], 3), bh: u([3 * h], 4), fc: u([h, 10], 5), fb: u([10], 6) };
      const loss = (p: Record<string, Arr>, x: Arr, y: Arr) => {
        let hs = np.zeros([batch, h]);
        for (const r of np.split(x, steps, 0)) hs = gruStep(jax, r.reshape([batch, 28]), hs, p.wi.ref, p.wh.ref, p.bi.ref, p.bh.ref);
        for (const k of ["wi", "wh", "bi", "bh"]) p[k].dispose();
        return np.mean(np.sum(nn.logSoftmax(np.matmul(hs, p.fc).add(p.fb), -1).mul(y), -1)).mul(-1);
      };
      return adamLoop(jax, params, loss, random.normal(random.key(11), [steps, batch, 28]), labels(batch));
    }
    case "lenetInfer": {
      const net = lenet(jax, key.batch);
      const x = random.normal(random.key(9), [key.batch, 1, 28, 28]);
      const predict = jit((p: Record<string, Arr>, xx: Arr) => net.forward(p, xx));
      return async () => void (await predict(tree.ref(net.params), x.ref).data());
    }
    case "lenetTrain": {
      const net = lenet(jax, key.batch);
      const loss = (p: Record<string, Arr>, x: Arr, y: Arr) => np.mean(np.sum(nn.logSoftmax(net.forward(p, x), -1).mul(y), -1)).mul(-1);
      return adamLoop(jax, net.params, loss, random.normal(random.key(9), [key.batch, 1, 28, 28]), labels(key.batch));
    }
    default:
      return undefined;
  }
}
