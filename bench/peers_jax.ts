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

/** The jax-js version of a case, or undefined where there is none. */
export function jaxCase(jax: Jax, key: CaseKey): (() => Promise<void>) | undefined {
  const { numpy: np, nn, random, tree, jit, valueAndGrad } = jax;
  const labels = (batch: number) => nn.oneHot(np.array(Array.from({ length: batch }, (_, i) => i % 10), { dtype: np.int32 }), 10);
  switch (key.kind) {
    case "matmul": {
      const a = random.normal(random.key(1), [key.m, key.k]), b = random.normal(random.key(2), [key.k, key.n]);
      const mm = jit((x: Arr, y: Arr) => np.matmul(x, y));
      return async () => void (await mm(a.ref, b.ref).data());
    }
    case "lenetInfer": {
      const net = lenet(jax, key.batch);
      const x = random.normal(random.key(9), [key.batch, 1, 28, 28]);
      const predict = jit((p: Record<string, Arr>, xx: Arr) => net.forward(p, xx));
      return async () => void (await predict(tree.ref(net.params), x.ref).data());
    }
    case "lenetTrain": {
      const net = lenet(jax, key.batch);
      const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-8];
      const loss = (p: Record<string, Arr>, x: Arr, y: Arr) => np.mean(np.sum(nn.logSoftmax(net.forward(p, x), -1).mul(y), -1)).mul(-1);
      // Adam as torch.optim.Adam computes it, one jit with the gradient
      const step = jit((p: Record<string, Arr>, m: Record<string, Arr>, v: Record<string, Arr>, t: Arr, x: Arr, y: Arr) => {
        const [l, g] = valueAndGrad(loss)(tree.ref(p), x, y);
        const c1 = np.power(b1, t.ref).mul(-1).add(1), c2 = np.power(b2, t).mul(-1).add(1);
        const m2 = tree.map((mm: Arr, gg: Arr) => mm.mul(b1).add(gg.mul(1 - b1)), m, tree.ref(g));
        const v2 = tree.map((vv: Arr, gg: Arr) => vv.mul(b2).add(gg.ref.mul(gg).mul(1 - b2)), v, g);
        const p2 = tree.map((pp: Arr, mm: Arr, vv: Arr) => pp.sub(mm.div(c1.ref).mul(lr).div(np.sqrt(vv.div(c2.ref)).add(eps))), p, tree.ref(m2), tree.ref(v2));
        c1.dispose();
        c2.dispose();
        return [p2, m2, v2, l] as const;
      });
      let state = { p: net.params, m: tree.map((a: Arr) => np.zerosLike(a.ref), net.params), v: tree.map((a: Arr) => np.zerosLike(a.ref), net.params) };
      const x = random.normal(random.key(9), [key.batch, 1, 28, 28]), y = labels(key.batch);
      let t = 0;
      return async () => {
        const [p, m, v, l] = step(state.p, state.m, state.v, np.array(++t), x.ref, y.ref);
        state = { p, m, v };
        await l.data();
      };
    }
    default:
      return undefined;
  }
}
