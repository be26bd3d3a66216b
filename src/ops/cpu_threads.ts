/**
 * @file The fast mode's threads: workers that run the fast module's functions (cpu_fast.ts) on
 * the same shared WebAssembly memory as the calling thread. A kernel splits its calls into
 * lanes (a range of batch items, images or rows of blocks each, writing disjoint outputs, so
 * the results do not depend on the thread count); lane 0 runs on the calling thread, lane w
 * on worker w, and the call returns when all are done. The hand-off is a few words per worker
 * in that memory (Atomics.notify/wait: ~10–50 µs), so kernels split only work worth more.
 *
 * Workers exist where SharedArrayBuffer does: always in Node (worker_threads, `eval` source,
 * unref'd so they never keep a process alive); in a browser only on a cross-origin-isolated
 * page (COOP/COEP headers), else `threadNote()` says why there is one thread. A worker that
 * is not started yet, or that failed, leaves its lane to the calling thread.
 */
import { DeviceError } from "../errors.ts";

/** Words of a worker's control block: generation posted, generation done, ready (1) or failed (−1), job list (bytes). */
const [GEN, DONE, READY, JOB] = [0, 1, 2, 3];
/** Control blocks start here (bytes), 16 bytes a worker. */
export const CONTROL = 64;
export const MAX_WORKERS = 15;
/**
 * How long a thread polls a control word before it sleeps on it (Atomics.wait): the kernels of
 * a step follow each other within that, and a sleeping thread takes ~10 µs to wake. A hand-off
 * took 13 µs before, 4 µs with the polling; the LeNet-5 step is 5–10 % faster.
 */
const SPIN_MS = 0.5;
/** Words per call in a job list: the function's index, then up to nine arguments. */
const CALL_WORDS = 10;

/** The fast module's exports by function index (cpu_fast.ts): a call names its function by this index. */
export const FN_NAMES = ["gemm", "gather", "scatter", "unpack", "pack4", "pack4T", "wmax", "keep", "segsum", "colsum", "vexp", "lstm", "lstmBack", "adam", "runCopy", "runAdd", "planeScatter", "zero", "gru", "gruBack"];

/** What a worker runs: wait for a generation, run its job list, report, repeat. */
const WORKER_BODY = `
function start(memory, module, ctl) {
  const e = new WebAssembly.Instance(module, { m: { mem: memory } }).exports;
  const fns = ${JSON.stringify(FN_NAMES)}.map((n) => e[n]);
  let v = new Int32Array(memory.buffer);
  Atomics.store(v, ctl + ${READY}, 1);
  let gen = 0;
  for (;;) {
    // poll a while before sleeping (SPIN_MS; the clock read every 1024 polls: each read makes garbage)
    for (let i = 1, t = performance.now(); Atomics.load(v, ctl + ${GEN}) === gen && ((i++ & 1023) !== 0 || performance.now() - t < ${SPIN_MS}););
    Atomics.wait(v, ctl + ${GEN}, gen);
    gen = Atomics.load(v, ctl + ${GEN});
    v = new Int32Array(memory.buffer);
    try {
      let p = v[ctl + ${JOB}] >> 2;
      const n = v[p++];
      for (let q = 0; q < n; q++, p += ${CALL_WORDS}) fns[v[p]](v[p + 1], v[p + 2], v[p + 3], v[p + 4], v[p + 5], v[p + 6], v[p + 7], v[p + 8], v[p + 9]);
    } catch (e) {
      Atomics.store(v, ctl + ${READY}, -1);
    }
    Atomics.store(v, ctl + ${DONE}, gen);
    Atomics.notify(v, ctl + ${DONE});
  }
}`;

type WorkerLike = { unref?: () => void; on?: (ev: string, f: (e: unknown) => void) => void; onerror?: unknown; postMessage?: (m: unknown) => void };

/** How many cores the machine has (Node's availableParallelism, a browser's hardwareConcurrency), at most 16. */
export function coreCount(): number {
  const os = nodeModule<{ availableParallelism?: () => number; cpus: () => unknown[] }>("node:os");
  const n = os ? (os.availableParallelism?.() ?? os.cpus().length) : ((globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
  return Math.max(1, Math.min(MAX_WORKERS + 1, n));
}

function nodeModule<T>(name: string): T | null {
  const p = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  return (p?.getBuiltinModule?.(name) as T | undefined) ?? null;
}

/** Why the fast mode runs on one thread here, or null where it may use more. */
export function threadNote(): string | null {
  if (typeof SharedArrayBuffer === "undefined") {
    return "one thread: SharedArrayBuffer is unavailable (a browser page must be cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)";
  }
  if (!nodeModule("node:worker_threads") && typeof (globalThis as { Worker?: unknown }).Worker !== "function") return "one thread: no Worker here";
  return null;
}

/** The workers of one shared memory and the lanes they run. */
export class ThreadPool {
  private readonly workers: (WorkerLike | null)[] = [];
  private readonly posted: number[] = [];
  private gen = 0;
  /** Calls the workers have run (tests read it: a worker did take its lane). */
  workerCalls = 0;
  /** Whether Atomics.wait may block this thread (not a browser's main thread). */
  private readonly canWait: boolean;

  /** `alloc` reserves bytes of the memory (for job lists); `runHere` runs calls on this thread. */
  constructor(private readonly memory: WebAssembly.Memory, private readonly module: WebAssembly.Module, private readonly alloc: (bytes: number) => number, private readonly runHere: (calls: number[][]) => void) {
    let ok = true;
    try {
      Atomics.wait(new Int32Array(memory.buffer), 0, 1, 0);
    } catch {
      ok = false;
    }
    this.canWait = ok;
  }

  /** Starts workers until there are `n` (each is usable once it has said it is ready). */
  ensure(n: number): void {
    n = Math.min(n, MAX_WORKERS);
    while (this.workers.length < n) this.workers.push(this.spawn(CONTROL / 4 + 4 * this.workers.length));
  }

  /** Workers that are ready now. */
  ready(limit: number): number {
    const v = new Int32Array(this.memory.buffer);
    let k = 0;
    while (k < Math.min(limit, this.workers.length) && Atomics.load(v, CONTROL / 4 + 4 * k + READY) === 1) k++;
    return k;
  }

  private spawn(ctl: number): WorkerLike | null {
    const wt = nodeModule<{ Worker: new (src: string, o: object) => WorkerLike }>("node:worker_threads");
    try {
      if (wt) {
        const w = new wt.Worker(`${WORKER_BODY}\nconst { workerData: d } = require("node:worker_threads");\nstart(d.memory, d.module, d.ctl);`, { eval: true, workerData: { memory: this.memory, module: this.module, ctl } });
        w.unref?.();
        w.on?.("error", () => Atomics.store(new Int32Array(this.memory.buffer), ctl + READY, -1));
        return w;
      }
      const W = (globalThis as { Worker?: new (url: string) => WorkerLike }).Worker;
      if (!W) return null;
      const url = URL.createObjectURL(new Blob([`${WORKER_BODY}\nonmessage = (e) => start(e.data.memory, e.data.module, e.data.ctl);`], { type: "text/javascript" }));
      const w = new W(url);
      w.postMessage?.({ memory: this.memory, module: this.module, ctl });
      return w;
    } catch {
      return null;
    }
  }

  /**
   * Runs lanes[0] here and lanes[w] on worker w − 1 (here too where that worker is not ready),
   * then waits for every worker. A call is [function index, ...arguments].
   */
  run(lanes: number[][][]): void {
    const ready = this.ready(lanes.length - 1);
    this.posted.length = 0;
    const mine = [...lanes[0]];
    for (let w = 1; w < lanes.length; w++) {
      if (w - 1 >= ready || lanes[w].length === 0) {
        mine.push(...lanes[w]);
        continue;
      }
      const at = this.alloc(4 + 4 * CALL_WORDS * lanes[w].length);
      const v = new Int32Array(this.memory.buffer);
      v[at >> 2] = lanes[w].length;
      lanes[w].forEach((call, q) => v.set(call, (at >> 2) + 1 + q * CALL_WORDS));
      const ctl = CONTROL / 4 + 4 * (w - 1);
      v[ctl + JOB] = at;
      this.posted.push(w - 1);
      this.workerCalls += lanes[w].length;
    }
    if (this.posted.length > 0) {
      this.gen++;
      const v = new Int32Array(this.memory.buffer);
      for (const w of this.posted) {
        Atomics.store(v, CONTROL / 4 + 4 * w + GEN, this.gen);
        Atomics.notify(v, CONTROL / 4 + 4 * w + GEN);
      }
    }
    this.runHere(mine);
    this.wait();
  }

  private wait(): void {
    const v = new Int32Array(this.memory.buffer);
    const t0 = Date.now();
    for (const w of this.posted) {
      const done = CONTROL / 4 + 4 * w + DONE;
      for (let i = 1, t = performance.now(); Atomics.load(v, done) !== this.gen && ((i++ & 1023) !== 0 || performance.now() - t < SPIN_MS););
      for (let seen = Atomics.load(v, done); seen !== this.gen; seen = Atomics.load(v, done)) {
        if (this.canWait) Atomics.wait(v, done, seen, 1000);
        if (Date.now() - t0 > 60_000) throw new DeviceError(`CPU fast mode: worker ${w + 1} did not finish its part in 60 s; run with threads: 1 (setBackend("cpu", { threads: 1 }), --threads 1) and report this`);
      }
      if (Atomics.load(v, CONTROL / 4 + 4 * w + READY) === -1) {
        throw new DeviceError(`CPU fast mode: worker ${w + 1} failed in a kernel; run with threads: 1 (setBackend("cpu", { threads: 1 }), --threads 1) and report this`);
      }
    }
  }
}
