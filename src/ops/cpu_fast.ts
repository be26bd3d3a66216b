/**
 * @file The CPU backend's fast mode (`setBackend("cpu", { mode: "fast" })`): float32 kernels in
 * WebAssembly that work on copies of their operands in the module's own memory. In V8 a
 * JavaScript loop over a Float32Array costs about 3 ns an element (each element is widened to
 * float64 and rounded back); copying an array into WebAssembly memory costs about 0.2 ns, and
 * the loops there run at about 1 ns, or less with SIMD. So each fast kernel copies its inputs
 * in, runs, and copies its outputs out, and the JavaScript loops that remain are O(outputs).
 *
 * One module (cpu_fast_kernels.ts), on one memory; here its instances and what each op's fast
 * kernel asks of them. Operands already in the memory (a compiled step's slots, `resident`)
 * are used where they lie, with no copy.
 * Results stay within the tolerances the WebGPU kernels meet (float32 sums); gather and
 * im2col are exact copies. Where WebAssembly SIMD is missing, `fastKernels()` is null and the
 * reference loops run.
 */
import { CONTROL, FN_NAMES, MAX_WORKERS, ThreadPool, coreCount, threadNote } from "./cpu_threads.ts";
import { MemoryBlocks } from "./cpu_memory.ts";
import { setResidentMemory } from "../backends/cpu.ts";
import type { CpuArgs, CpuCaps, OpDef } from "./types.ts";
import { ZERO, DUMMY, NO_FLOOR, HEAP } from "./cpu_fast_asm.ts";
import { GEMM, GATHER, SCATTER, UNPACK, PACK4, PACK4T, WMAX, KEEP, SEGSUM, COLSUM, LSTM, LSTM_BACK, ADAM, RUN_COPY, RUN_ADD, PLANE_SCATTER, ZERO_FILL, GRU, GRU_BACK, fastModuleBytes, MAX_PAGES } from "./cpu_fast_kernels.ts";

export { fastModuleBytes } from "./cpu_fast_kernels.ts";

type Fn = (...args: number[]) => void;

/**
 * Work below which a kernel stays on one thread (a hand-off costs ~10–50 µs): multiply-adds of
 * a product (2^20 ≈ 80 µs here; LSTM's hidden step, 4 M, gains), elements a gather or scatter moves.
 */
const SPLIT_MACS = 1 << 20, SPLIT_ELEMENTS = 1 << 17;

/** A strided operand as matmul_cpu.ts describes it: element (r, p) at data[off + r·sRow + p·sP]. */
export interface Strided {
  data: Float32Array;
  sRow: number;
  sP: number;
}

/**
 * A product's B that is a convolution's column matrices, read from the image x instead
 * (im2colMatmul): B's matrix at offset o is image o / per of x (`images` of them) gathered by
 * the index table `make` builds (im2col's, `per` entries, cached under `key`).
 */
export interface ColumnSource {
  x: Float32Array;
  images: number;
  key: string;
  make: () => Int32Array;
}

/** [lo, hi) of `count` items for each of `lanes` lanes, as even as can be. */
function ranges(count: number, lanes: number): [number, number][] {
  return Array.from({ length: lanes }, (_, t) => [Math.floor((count * t) / lanes), Math.floor((count * (t + 1)) / lanes)]);
}

/**
 * The calls of a recurrent step's product dst [rows][n] = src [rows][k] · pb + bias (bias rows
 * biasRow bytes apart; 0: one row for all), with pb packed and pa, pc the lane's scratch.
 */
function product(pa: number, src: number, k: number, pb: number, pc: number, blocks: number, rows: number, n: number, dst: number, bias: number, biasRow: number): number[][] {
  return [[PACK4T, pa, src, rows, k, k * 4], [GEMM, pa, pb, pc, blocks, n / 4, k, n * 4, rows], [UNPACK, dst, pc, n * 4, rows, n, n * 4, bias, biasRow, NO_FLOOR]];
}

/** A recurrent layer's hprev [T][per]: h0 at the first step run, then the step before's h. */
function fillHprev(hprev: Float32Array, h0: Float32Array, hs: Float32Array, T: number, per: number, time: (step: number) => number): void {
  for (let step = 0; step < T; step++) hprev.set(step === 0 ? h0 : hs.subarray(time(step - 1) * per, (time(step - 1) + 1) * per), time(step) * per);
}

/** An index table kept in the module's memory: its byte offset and length, and its runs where it is kept as runs. */
interface Table {
  at: number;
  length: number;
  /** The number of [e, i, len] runs (runCopy, runAdd) it is stored as; 0: stored as the table. */
  runs: number;
}

/**
 * An index table as runs [e, i, len]: entries e … e + len − 1 are i … i + len − 1 (or all
 * negative: i = −1), maximal; null where the runs average under four entries (the table's own
 * kernels, gather and scatter, are as fast there).
 */
export function indexRuns(idx: Int32Array): Int32Array | null {
  const runs: number[] = [];
  for (let e = 0; e < idx.length;) {
    const i = idx[e];
    let len = 1;
    if (i < 0) while (e + len < idx.length && idx[e + len] < 0) len++;
    else while (e + len < idx.length && idx[e + len] === i + len) len++;
    runs.push(e, i < 0 ? -1 : i, len);
    e += len;
    if (runs.length * 4 > 3 * idx.length) return null;
  }
  return runs.length * 4 <= 3 * idx.length ? Int32Array.from(runs) : null;
}

/** A float32 or int32 array (the operands the kernels read and write). */
type Operand = Float32Array | Int32Array;

/**
 * The fast kernels on their memory, with a bump allocator reset by each call, and its threads.
 * Arrays that lie in the memory already (`owns`: a plan's slots, made by `resident`) are read
 * and written where they are; any other operand is copied in, and a result copied out.
 */
export class FastKernels {
  private readonly fns: Fn[];
  private top = HEAP;
  /** Long-lived blocks: index tables and resident slots; the scratch space starts after them. */
  private readonly blocks = new MemoryBlocks(HEAP);
  private readonly tables = new Map<string, Table>();
  private tableElements = 0;
  /** Every buffer object this memory has had (a grow gives a new one; views on the old stay valid when shared). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** Threads a kernel may use (the calling one included); `useThreads` sets it. */
  private threads = 1;
  private readonly ownPool: ThreadPool | null;
  /**
   * The instance on a shared memory that runs the work worth splitting, and all work on its
   * resident arrays, where this one is on a private memory: copying into a SharedArrayBuffer
   * costs 2.5× copying into an ArrayBuffer (0.40 against 0.16 ms for 4 MB here), so other work
   * on one thread stays off the shared memory.
   */
  twin: FastKernels | null = null;

  constructor(private readonly memory: WebAssembly.Memory, module: WebAssembly.Module, exports: WebAssembly.Exports, readonly shared: boolean) {
    const e = exports as unknown as Record<string, Fn>;
    this.fns = FN_NAMES.map((n) => e[n] ?? (() => {}));
    new Float32Array(memory.buffer, NO_FLOOR, 4).fill(-Infinity);
    this.ownPool = shared && threadNote() === null ? new ThreadPool(memory, module, (bytes) => this.alloc(bytes), (calls) => this.runHere(calls)) : null;
  }

  /** Lets kernels use up to `n` threads (workers start on first use); 1 where there can be no workers. */
  useThreads(n: number): number {
    const pool = this.pool;
    this.threads = pool ? Math.max(1, Math.min(n, MAX_WORKERS + 1)) : 1;
    if (this.twin) this.twin.useThreads(this.threads);
    else if (this.threads > 1) pool!.ensure(this.threads - 1);
    return this.threads;
  }

  /** The workers (on the twin's shared memory where there is a twin), or null: one thread. */
  get pool(): ThreadPool | null {
    return this.twin ? this.twin.ownPool : this.ownPool;
  }

  /** The instance for the shared memory's arrays: this one, or its twin; null without one. */
  private get sharedInstance(): FastKernels | null {
    return this.shared ? this : this.twin;
  }

  /**
   * `bytes` zeroed in the shared memory that stay until `release`: a view's buffer and byte
   * offset (a plan's slots, backends/cpu.ts), or null where there is no shared memory. Arrays
   * made on it are operands the kernels use in place. Only between kernel calls.
   */
  resident(bytes: number): { buffer: ArrayBufferLike; at: number } | null {
    const s = this.sharedInstance;
    if (!s) return null;
    const at = s.blocks.reserve(bytes);
    s.cover(s.blocks.end);
    s.fns[ZERO_FILL](at, bytes);
    return { buffer: s.memory.buffer, at };
  }

  /** Frees what `resident` returned at `at`. */
  release(at: number): void {
    this.sharedInstance?.blocks.free(at);
  }

  /** Bytes held by resident blocks and index tables of the shared memory (tests check they are freed). */
  get residentBytes(): number {
    return this.sharedInstance?.blocks.bytes ?? 0;
  }

  /** Whether `a` lies in this memory (a kernel may use it where it is). */
  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.memory.buffer || this.buffers.has(a.buffer);
  }

  /**
   * The instance to run work of `lanes` lanes on: the shared twin when they are more than one,
   * or when an operand is resident there; null: this one.
   */
  private on(lanes: number, ...arrays: ArrayBufferView[]): FastKernels | null {
    const twin = this.twin;
    return twin && (lanes > 1 || arrays.some((a) => twin.owns(a))) ? twin : null;
  }

  /** Lanes for `work`: one below `split`, else one per thread (at most `items`). */
  private lanes(work: number, split: number, items: number): number {
    return work < split ? 1 : Math.max(1, Math.min(this.threads, items));
  }

  private runHere(calls: number[][]): void {
    for (const [f, ...args] of calls) this.fns[f](...args);
  }

  private run(lanes: number[][][]): void {
    if (lanes.length === 1 || !this.ownPool) this.runHere(lanes.flat());
    else this.ownPool.run(lanes);
  }

  /** Starts a call: everything allocated by the last one is free again. */
  private reset(): void {
    this.top = this.blocks.end;
  }

  /** Grows the memory to at least `end` bytes. */
  private cover(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    this.buffers.add(this.memory.buffer);
    this.memory.grow(Math.ceil((end - have) / 65536));
  }

  /** `bytes` (rounded up to 16) of scratch memory; grows it as needed. Views made before may be detached. */
  private alloc(bytes: number): number {
    const at = this.top;
    this.top += (bytes + 15) & ~15;
    this.cover(this.top);
    return at;
  }

  /** `floats` float32 zeros; their byte offset. */
  private zeroed(floats: number): number {
    const at = this.alloc(floats * 4);
    this.fns[ZERO_FILL](at, floats * 4);
    return at;
  }

  private f32(at: number, len: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, len);
  }

  /** The byte offset of an operand to read: where it lies, or a copy made in scratch. */
  private put(src: Operand): number {
    if (this.owns(src)) return src.byteOffset;
    const at = this.alloc(src.byteLength);
    (src instanceof Float32Array ? this.f32(at, src.length) : new Int32Array(this.memory.buffer, at, src.length)).set(src);
    return at;
  }

  /** Where a kernel writes a result bound for `out`: out itself where it lies here, else scratch (`done` copies it out). */
  private target(out: Operand): number {
    return this.owns(out) ? out.byteOffset : this.alloc(out.byteLength);
  }

  /** `target`, zeroed. */
  private zeroedTarget(out: Float32Array): number {
    if (!this.owns(out)) return this.zeroed(out.length);
    this.fns[ZERO_FILL](out.byteOffset, out.byteLength);
    return out.byteOffset;
  }

  /** Copies a result written at `at` out to `out`, unless it was written there. */
  private done(out: Operand, at: number): void {
    if (this.owns(out) && out.byteOffset === at) return;
    out.set(out instanceof Float32Array ? this.f32(at, out.length) : new Int32Array(this.memory.buffer, at, out.length));
  }

  /**
   * An index table, made by `make` on first use of `key` and kept in this memory (up to 16 M
   * entries in all, then the cache starts again): the shapes of a training loop repeat every step.
   * Only before a call's reset() (it places a block where the scratch space begins).
   */
  private table(key: string, make: () => Int32Array, asRuns = false): Table {
    let t = this.tables.get(key);
    if (!t) {
      const idx = make(), runs = asRuns ? indexRuns(idx) : null, data = runs ?? idx;
      if (this.tableElements + data.length > 1 << 24) {
        for (const old of this.tables.values()) this.blocks.free(old.at);
        this.tables.clear();
        this.tableElements = 0;
      }
      t = { at: this.blocks.reserve(data.byteLength), length: idx.length, runs: runs ? runs.length / 3 : 0 };
      this.cover(this.blocks.end);
      new Int32Array(this.memory.buffer, t.at, data.length).set(data);
      this.tables.set(key, t);
      this.tableElements += data.length;
    }
    return t;
  }

  /**
   * C[i] (m×n at `cOffs[i]` of c) = A_i · B_i + bias, through ReLU with `relu`, for the batch
   * of products whose operands start at aOffs[i] and bOffs[i] (repeated offsets pack once).
   * bias: per row (`rows`) or per column, or none.
   */
  matmul(a: Strided, aOffs: readonly number[], b: Strided, bOffs: readonly number[], c: Float32Array, cOffs: readonly number[], m: number, k: number, n: number, epilogue?: { bias: Float32Array; rows: boolean; relu: boolean }, cols?: ColumnSource): void {
    const batches = cOffs.length, mBlocks = (m + 3) >> 2;
    const lanes = this.lanes(batches * m * k * n, SPLIT_MACS, batches > 1 ? batches : mBlocks);
    const twin = this.on(lanes, a.data, cols ? cols.x : b.data, c);
    if (twin) return twin.matmul(a, aOffs, b, bOffs, c, cOffs, m, k, n, epilogue, cols);
    const nBlocks = (n + 3) >> 2, row = nBlocks * 4;
    // the index tables of operands with neither stride 1, before any scratch is taken (a table places a block)
    const tableOf = (s: Strided, rows: number, blocks: number) => s.sRow === 1 || s.sP === 1 ? null : this.table(`pack ${rows} ${k} ${s.sRow} ${s.sP}`, () => {
      const t = new Int32Array(blocks * 4 * k);
      for (let blk = 0, d = 0; blk < blocks; blk++) {
        for (let p = 0; p < k; p++) for (let r = 0; r < 4; r++, d++) t[d] = 4 * blk + r < rows ? (4 * blk + r) * s.sRow + p * s.sP : -1;
      }
      return t;
    });
    const single = batches > 1 || lanes === 1;
    const aTables = single ? [tableOf(a, m, mBlocks)] : ranges(mBlocks, lanes).map(([lo, hi]) => tableOf(a, Math.min(m, 4 * hi) - 4 * lo, hi - lo));
    const bTable = tableOf(b, n, nBlocks);
    const colTable = cols ? this.table(cols.key, cols.make, true) : null;
    this.reset();
    // the part of each operand the products read, copied in, with slack for pack4's last lanes
    const span = (s: Strided, offs: readonly number[], rows: number) => {
      const lo = Math.min(...offs), hi = Math.max(...offs) + (rows - 1) * s.sRow + (k - 1) * s.sP + 1;
      const at = this.put(s.data.subarray(lo, hi));
      this.alloc(16);
      return { lo, at };
    };
    const sa = span(a, aOffs, m);
    // B's matrices gathered from x image by image into an L2-sized buffer of each lane (never all of them)
    const xs = cols ? this.put(cols.x) : 0, per = colTable?.length ?? 0, image = cols ? cols.x.length / cols.images : 0;
    const sb = cols ? { lo: 0, at: 0 } : span(b, bOffs, n);
    // panels: by pack4 where a block's four rows are adjacent, by pack4T where p is, else by an index table
    const packer = (s: Strided, rows: number, blocks: number, table: Table | null) => {
      if (s.sRow === 1) return (dst: number, src: number) => [PACK4, dst, src, blocks, k, 4 * s.sP];
      if (s.sP === 1) return (dst: number, src: number) => [PACK4T, dst, src, rows, k, 4 * s.sRow];
      return (dst: number, src: number) => [GATHER, dst, src, table!.at, blocks * 4 * k, ZERO];
    };
    // the bias as rows of `row` floats: one for all rows (per column), or one per row
    const rows = epilogue?.rows ?? false;
    const bias = this.zeroed((rows ? m : 1) * row), bRow = rows ? row * 4 : 0;
    const bv = this.f32(bias, (rows ? m : 1) * row);
    if (epilogue && rows) for (let i = 0; i < m; i++) bv.fill(epilogue.bias[i], i * row, i * row + n);
    else if (epilogue) bv.set(epilogue.bias);
    // the products in order, usually one run of c: written in place where c lies here
    const contiguous = cOffs.every((o, i) => o === cOffs[0] + i * m * n);
    const whole = contiguous ? c.subarray(cOffs[0], cOffs[0] + batches * m * n) : null;
    const out = whole ? this.target(whole) : this.alloc(batches * m * n * 4);
    const floor = epilogue?.relu ? ZERO : NO_FLOOR;
    const scratch = () => [this.alloc(mBlocks * 16 * k), this.alloc(nBlocks * 16 * k), this.alloc(mBlocks * 4 * row * 4)];
    const plainB = packer(b, n, nBlocks, bTable);
    // with `cols`, a lane's B source: its column buffer, filled from image bOff / per first
    const packB = (pb: number, bOff: number, colBuf: number): number[][] => {
      if (!cols) return [plainB(pb, sb.at + 4 * (bOff - sb.lo))];
      const img = xs + 4 * image * (bOff / per);
      const fill = colTable!.runs ? [RUN_COPY, colBuf, img, colTable!.at, colTable!.runs, 0] : [GATHER, colBuf, img, colTable!.at, per, ZERO];
      return [fill, plainB(pb, colBuf)];
    };
    const colBuffer = () => (cols ? this.alloc(per * 4 + 16) : 0);
    // rows of four whole blocks and no epilogue: the gemm stores C's rows itself
    const direct = n % 4 === 0 && !epilogue;
    const work: number[][][] = [];
    if (single) {
      // lanes of whole products (a lane packs an operand again only where its offset changes)
      const packA = packer(a, m, mBlocks, aTables[0]);
      for (const [lo, hi] of ranges(batches, lanes)) {
        const [pa, pb, pc] = scratch(), colBuf = colBuffer(), calls: number[][] = [];
        for (let i = lo; i < hi; i++) {
          if (i === lo || aOffs[i] !== aOffs[i - 1]) calls.push(packA(pa, sa.at + 4 * (aOffs[i] - sa.lo)));
          if (i === lo || bOffs[i] !== bOffs[i - 1]) calls.push(...packB(pb, bOffs[i], colBuf));
          if (direct) calls.push([GEMM, pa, pb, out + i * m * n * 4, mBlocks, nBlocks, k, n * 4, m]);
          else calls.push([GEMM, pa, pb, pc, mBlocks, nBlocks, k, row * 4, m], [UNPACK, out + i * m * n * 4, pc, row * 4, m, n, n * 4, bias, bRow, floor]);
        }
        work.push(calls);
      }
    } else {
      // one product: lanes of rows of blocks, each packing its rows of A and all of B
      for (const [t, [lo, hi]] of ranges(mBlocks, lanes).entries()) {
        const [pa, pb, pc] = scratch(), colBuf = colBuffer(), r0 = 4 * lo, rs = Math.min(m, 4 * hi) - r0;
        const packA = packer(a, rs, hi - lo, aTables[t]);
        work.push([
          packA(pa, sa.at + 4 * (aOffs[0] - sa.lo + r0 * a.sRow)), ...packB(pb, bOffs[0], colBuf),
          ...(direct ? [[GEMM, pa, pb, out + r0 * n * 4, hi - lo, nBlocks, k, n * 4, rs]]
            : [[GEMM, pa, pb, pc, hi - lo, nBlocks, k, row * 4, rs], [UNPACK, out + r0 * n * 4, pc, row * 4, rs, n, n * 4, bias + r0 * bRow, bRow, floor]]),
        ]);
      }
    }
    this.run(work);
    if (whole) return this.done(whole, out);
    const res = this.f32(out, batches * m * n);
    cOffs.forEach((o, i) => c.set(res.subarray(i * m * n, (i + 1) * m * n), o));
  }

  /**
   * cols[img·per + e] = x[img·size + idx[e]] (0 where idx[e] < 0) for each of `images`: im2col
   * (or any per-image gather) with the index table `make` builds, cached under `key`.
   */
  gatherImages(x: Float32Array, out: Float32Array, images: number, key: string, make: () => Int32Array): void {
    const per = out.length / Math.max(images, 1), size = x.length / images, lanes = this.lanes(images * per, SPLIT_ELEMENTS, images);
    const twin = this.on(lanes, x, out);
    if (twin) return twin.gatherImages(x, out, images, key, make);
    if (per === 0 || images === 0) return;
    const t = this.table(key, make, true);
    this.reset();
    const xs = this.put(x), o = this.target(out);
    const call = (img: number) => t.runs ? [RUN_COPY, o + img * per * 4, xs + img * size * 4, t.at, t.runs, 0] : [GATHER, o + img * per * 4, xs + img * size * 4, t.at, per, ZERO];
    this.run(ranges(images, lanes).map(([lo, hi]) => Array.from({ length: hi - lo }, (_, j) => call(lo + j))));
    this.done(out, o);
  }

  /**
   * The adjoint: dx[img·size + idx[e]] += cols[img·per + e], e in order (float32 sums), dx
   * zeroed first: col2im.
   */
  scatterImages(cols: Float32Array, dx: Float32Array, images: number, key: string, make: () => Int32Array): void {
    const per = cols.length / Math.max(images, 1), size = dx.length / images, lanes = this.lanes(images * per, SPLIT_ELEMENTS, images);
    const twin = this.on(lanes, cols, dx);
    if (twin) return twin.scatterImages(cols, dx, images, key, make);
    const t = per > 0 ? this.table(key, make, true) : null;
    this.reset();
    const cs = this.put(cols), o = this.zeroedTarget(dx);
    const call = (img: number) => t!.runs ? [RUN_ADD, o + img * size * 4, cs + img * per * 4, t!.at, t!.runs, 0] : [SCATTER, o + img * size * 4, cs + img * per * 4, t!.at, per, DUMMY];
    // each image's sums in its own part of dx: lanes of images
    if (t) this.run(ranges(images, lanes).map(([lo, hi]) => Array.from({ length: hi - lo }, (_, j) => call(lo + j))));
    this.done(dx, o);
  }

  /**
   * Max pooling, `planes` planes of `size` elements: y and arg (plane-relative indices) of each
   * plane's outputs by the index table `make` builds ([outputs][taps], −1: outside), cached
   * under `key`. Exact: no arithmetic.
   */
  windowMax(x: Float32Array, y: Float32Array, arg: Int32Array, planes: number, key: string, taps: number, make: () => Int32Array): void {
    const per = y.length / Math.max(planes, 1), size = x.length / planes, lanes = this.lanes(planes * per * taps, SPLIT_ELEMENTS, planes);
    const twin = this.on(lanes, x, y, arg);
    if (twin) return twin.windowMax(x, y, arg, planes, key, taps, make);
    if (per === 0 || planes === 0) return;
    // the table as wmax reads it: [group of four outputs][tap][4], −1 past the last output
    const it = this.table(key, () => {
      const t = make(), groups = (per + 3) >> 2, g = new Int32Array(groups * taps * 4).fill(-1);
      for (let o = 0; o < per; o++) for (let k = 0; k < taps; k++) g[((o >> 2) * taps + k) * 4 + (o & 3)] = t[o * taps + k];
      return g;
    }).at;
    this.reset();
    const xs = this.put(x), yo = this.target(y), ao = this.target(arg);
    this.run(ranges(planes, lanes).filter(([lo, hi]) => hi > lo).map(([lo, hi]) => [[WMAX, yo + lo * per * 4, ao + lo * per * 4, xs + lo * size * 4, it, per, taps, hi - lo, size * 4]]));
    this.done(y, yo);
    this.done(arg, ao);
  }

  /**
   * Max pooling's backward: dx[plane, arg[o]] += dy[o] (o in order, float32 sums; arg < 0
   * skipped), dx zeroed first, then 0 where `mask` (the ReLU output before the pooling) is not > 0.
   */
  poolScatter(dy: Float32Array, arg: Int32Array, dx: Float32Array, planes: number, mask?: Float32Array): void {
    const per = dy.length / planes, size = dx.length / planes, lanes = this.lanes(dx.length, SPLIT_ELEMENTS, planes);
    const twin = this.on(lanes, dy, arg, dx, ...(mask ? [mask] : []));
    if (twin) return twin.poolScatter(dy, arg, dx, planes, mask);
    this.reset();
    const ds = this.put(dy), as = this.put(arg), o = this.zeroedTarget(dx), ms = mask ? this.put(mask) : 0;
    this.run(ranges(planes, lanes).map(([lo, hi]) => {
      const calls = hi > lo ? [[PLANE_SCATTER, o + lo * size * 4, ds + lo * per * 4, as + lo * per * 4, per, hi - lo, size * 4]] : [];
      if (mask && hi > lo) calls.push([KEEP, o + lo * size * 4, ms + lo * size * 4, (hi - lo) * size]);
      return per > 0 ? calls : [];
    }));
    this.done(dx, o);
  }

  /**
   * A sum over axes (float32, f32x4 partial sums) of x [outer, red, keep, inner] with `inner`
   * reduced too (red and inner may be 1): per outer block, segment sums of `inner`, then
   * column sums over `red`; y [outer][keep]. The fast mode's reduction (ops/sum.ts decides
   * when a sum's axes have this form).
   */
  sum(x: Float32Array, y: Float32Array, outer: number, red: number, keep: number, inner: number): void {
    const lanes = this.lanes(x.length, SPLIT_ELEMENTS, outer);
    const twin = this.on(lanes, x, y);
    if (twin) return twin.sum(x, y, outer, red, keep, inner);
    this.reset();
    const xs = this.put(x), o = this.zeroedTarget(y);
    // with an inner run, its sums first ([outer·red·keep]), then those summed over red
    const seg = inner > 1 ? this.alloc(outer * red * keep * 4) : xs;
    this.run(ranges(outer, lanes).map(([lo, hi]) => {
      const calls: number[][] = [];
      if (hi === lo) return calls;
      if (inner > 1) calls.push([SEGSUM, seg + lo * red * keep * 4, xs + lo * red * keep * inner * 4, (hi - lo) * red * keep, inner]);
      for (let b = lo; b < hi; b++) calls.push([COLSUM, o + b * keep * 4, seg + b * red * keep * 4, red, keep]);
      return calls;
    }));
    this.done(y, o);
  }

  /**
   * A recurrent layer's T steps on lanes of batch rows: a row's recurrence needs no other row,
   * so each lane (whole four-row blocks) runs all T steps, one hand-off for the sequence.
   * `scratch(blocks, rows)` sizes the lane's own buffers (bytes); `step(s, r0, rows, blocks,
   * buffers)` gives step s's calls for rows r0 … r0 + rows − 1.
   */
  private rowLanes(B: number, lanes: number, T: number, scratch: (blocks: number, rows: number) => number[], step: (s: number, r0: number, rows: number, blocks: number, buffers: number[]) => number[][]): void {
    this.run(ranges((B + 3) >> 2, lanes).map(([lo, hi]) => {
      const r0 = 4 * lo, rows = Math.min(B, 4 * hi) - r0, buffers = scratch(hi - lo, rows).map((bytes) => this.alloc(bytes));
      return Array.from({ length: T }, (_, s) => step(s, r0, rows, hi - lo, buffers)).flat();
    }));
  }

  /**
   * A whole LSTM layer direction, as lstmSequence's reference computes it (ops/recurrent_seq.ts),
   * in one session on this memory: W_hh packed once, then per step (in time order, or reversed)
   * the hidden product h_prev·W_hhᵀ and the cell update (lstm), all in WebAssembly, on lanes
   * of batch rows (rowLanes); the outputs copied out at the end. H a multiple of 4 (the caller checks).
   */
  lstmForward(x: Float32Array, whh: Float32Array, h0: Float32Array, c0: Float32Array, out: { hs: Float32Array; cN: Float32Array; saved: Float32Array; hprev: Float32Array }, T: number, B: number, H: number, reverse: boolean): void {
    const G = 4 * H;
    const lanes = this.lanes(T * B * G * H, SPLIT_MACS, (B + 3) >> 2);
    const twin = this.on(lanes, x, whh, h0, c0, out.hs, out.saved);
    if (twin) return twin.lstmForward(x, whh, h0, c0, out, T, B, H, reverse);
    this.reset();
    const xs = this.put(x), ws = this.put(whh), h0s = this.put(h0), c0s = this.put(c0);
    const hsOut = this.target(out.hs), savedOut = this.target(out.saved), zeros = this.zeroed(G);
    const pb = this.alloc(G * 4 * H);
    this.runHere([[PACK4T, pb, ws, G, H, H * 4]]);
    const time = (step: number) => (reverse ? T - 1 - step : step);
    this.rowLanes(B, lanes, T, (blocks, rows) => [blocks * 16 * H, blocks * 4 * G * 4, rows * G * 4], (step, r0, rows, blocks, [pa, pc, hid]) => {
      const t = time(step), tp = time(step - 1);
      const [cp, cpRow] = step === 0 ? [c0s + r0 * H * 4, H * 4] : [savedOut + ((tp * B + r0) * 6 * H + 5 * H) * 4, 6 * H * 4];
      const hp = step === 0 ? h0s + r0 * H * 4 : hsOut + (tp * B + r0) * H * 4;
      return [
        ...product(pa, hp, H, pb, pc, blocks, rows, G, hid, zeros, 0),
        [LSTM, xs + (t * B + r0) * G * 4, hid, cp, cpRow, savedOut + (t * B + r0) * 6 * H * 4, hsOut + (t * B + r0) * H * 4, rows, H],
      ];
    });
    this.done(out.hs, hsOut);
    this.done(out.saved, savedOut);
    fillHprev(out.hprev, h0, out.hs, T, B * H, time);
    const last = time(T - 1);
    for (let b = 0; b < B; b++) out.cN.set(out.saved.subarray((last * B + b) * 6 * H + 5 * H, (last * B + b) * 6 * H + 6 * H), b * H);
  }

  /**
   * lstmSequenceBackward in one session (its reference in ops/recurrent_seq.ts): W_hh packed
   * once, then per step in reverse time order the cell's backward (lstmBack) and
   * dh_prev = dgates·W_hh, all in WebAssembly, on lanes of batch rows (rowLanes). H a multiple of 4.
   */
  lstmBackward(whh: Float32Array, saved: Float32Array, dhs: Float32Array, dcN: Float32Array, out: { dx: Float32Array; dh0: Float32Array; dc0: Float32Array }, T: number, B: number, H: number, reverse: boolean): void {
    const G = 4 * H;
    const lanes = this.lanes(T * B * G * H, SPLIT_MACS, (B + 3) >> 2);
    const twin = this.on(lanes, whh, saved, dhs, dcN, out.dx);
    if (twin) return twin.lstmBackward(whh, saved, dhs, dcN, out, T, B, H, reverse);
    this.reset();
    const ws = this.put(whh), ss = this.put(saved), ds = this.put(dhs), cN = this.put(dcN);
    const dx = this.target(out.dx), zeros = this.zeroed(B * H);
    // two buffers each for dh and dc, swapped every step: after T steps the last written is
    const bufs = [this.alloc(B * H * 4), this.alloc(B * H * 4), this.alloc(B * H * 4), this.alloc(B * H * 4)];
    const pb = this.alloc(H * 4 * G);
    // B(p = gate row g, n = unit j) = W_hh[g·H + j]: four units adjacent
    this.runHere([[PACK4, pb, ws, H / 4, G, H * 4]]);
    this.rowLanes(B, lanes, T, (blocks) => [blocks * 16 * G, blocks * 4 * H * 4], (step, r0, rows, blocks, [pa, pc]) => {
      const row = (buf: number) => buf + r0 * H * 4;
      const t = reverse ? step : T - 1 - step, gates = dx + (t * B + r0) * G * 4;
      const [dhRec, dhNext, dcRec, dcNext] = step % 2 === 0 ? [bufs[1], bufs[0], bufs[3], bufs[2]] : [bufs[0], bufs[1], bufs[2], bufs[3]];
      return [
        [LSTM_BACK, ss + (t * B + r0) * 6 * H * 4, ds + (t * B + r0) * H * 4, step === 0 ? row(zeros) : row(dhRec), step === 0 ? cN + r0 * H * 4 : row(dcRec), gates, row(dcNext), rows, H],
        ...product(pa, gates, G, pb, pc, blocks, rows, H, row(dhNext), zeros, 0),
      ];
    });
    const last = (T - 1) % 2 === 0 ? 0 : 1;
    this.done(out.dx, dx);
    out.dh0.set(this.f32(bufs[last], B * H));
    out.dc0.set(this.f32(bufs[2 + last], B * H));
  }

  /**
   * A whole GRU layer direction, as gruSequence's reference computes it: lstmForward's scheme,
   * with b_hh (or zeros) added to the hidden product as it is unpacked, then the cell update
   * (gru). H a multiple of 4.
   */
  gruForward(x: Float32Array, whh: Float32Array, h0: Float32Array, bhh: Float32Array | null, out: { hs: Float32Array; saved: Float32Array; hprev: Float32Array }, T: number, B: number, H: number, reverse: boolean): void {
    const G = 3 * H;
    const lanes = this.lanes(T * B * G * H, SPLIT_MACS, (B + 3) >> 2);
    const twin = this.on(lanes, x, whh, h0, out.hs, out.saved);
    if (twin) return twin.gruForward(x, whh, h0, bhh, out, T, B, H, reverse);
    this.reset();
    const xs = this.put(x), ws = this.put(whh), h0s = this.put(h0), bias = bhh ? this.put(bhh) : this.zeroed(G);
    const hsOut = this.target(out.hs), savedOut = this.target(out.saved);
    const pb = this.alloc(G * 4 * H);
    this.runHere([[PACK4T, pb, ws, G, H, H * 4]]);
    const time = (step: number) => (reverse ? T - 1 - step : step);
    this.rowLanes(B, lanes, T, (blocks, rows) => [blocks * 16 * H, blocks * 4 * G * 4, rows * G * 4], (step, r0, rows, blocks, [pa, pc, gh]) => {
      const t = time(step), hp = step === 0 ? h0s + r0 * H * 4 : hsOut + (time(step - 1) * B + r0) * H * 4;
      return [
        ...product(pa, hp, H, pb, pc, blocks, rows, G, gh, bias, 0),
        [GRU, xs + (t * B + r0) * G * 4, gh, hp, savedOut + (t * B + r0) * 4 * H * 4, hsOut + (t * B + r0) * H * 4, rows, H, 0, 0],
      ];
    });
    this.done(out.hs, hsOut);
    this.done(out.saved, savedOut);
    fillHprev(out.hprev, h0, out.hs, T, B * H, time);
  }

  /**
   * gruSequenceBackward in one session: per step in reverse time order the cell's backward
   * (gruBack, which also leaves dh·z in the next dh buffer), then dh_prev = dgh·W_hh added to
   * it as the product is unpacked (the buffer is its own bias). Lanes of batch rows, as
   * lstmBackward. H a multiple of 4.
   */
  gruBackward(whh: Float32Array, saved: Float32Array, hprev: Float32Array, dhs: Float32Array, out: { dx: Float32Array; dgh: Float32Array; dh0: Float32Array }, T: number, B: number, H: number, reverse: boolean): void {
    const G = 3 * H;
    const lanes = this.lanes(T * B * G * H, SPLIT_MACS, (B + 3) >> 2);
    const twin = this.on(lanes, whh, saved, hprev, dhs, out.dx, out.dgh);
    if (twin) return twin.gruBackward(whh, saved, hprev, dhs, out, T, B, H, reverse);
    this.reset();
    const ws = this.put(whh), ss = this.put(saved), hp = this.put(hprev), ds = this.put(dhs);
    const dx = this.target(out.dx), dgh = this.target(out.dgh), zeros = this.zeroed(B * H);
    const bufs = [this.alloc(B * H * 4), this.alloc(B * H * 4)];
    const pb = this.alloc(H * 4 * G);
    this.runHere([[PACK4, pb, ws, H / 4, G, H * 4]]);
    this.rowLanes(B, lanes, T, (blocks) => [blocks * 16 * G, blocks * 4 * H * 4], (step, r0, rows, blocks, [pa, pc]) => {
      const row = (buf: number) => buf + r0 * H * 4;
      const t = reverse ? step : T - 1 - step, at = (t * B + r0) * H * 4, gAt = (t * B + r0) * G * 4;
      const [dhRec, dhNext] = step % 2 === 0 ? [bufs[1], bufs[0]] : [bufs[0], bufs[1]];
      return [
        [GRU_BACK, ss + 4 * at, ds + at, step === 0 ? row(zeros) : row(dhRec), hp + at, dx + gAt, dgh + gAt, row(dhNext), rows, H],
        ...product(pa, dgh + gAt, G, pb, pc, blocks, rows, H, row(dhNext), row(dhNext), H * 4),
      ];
    });
    this.done(out.dx, dx);
    this.done(out.dgh, dgh);
    out.dh0.set(this.f32(bufs[(T - 1) % 2 === 0 ? 0 : 1], B * H));
  }

  /**
   * adamUpdate on the first 4·⌊n/4⌋ elements (the caller does the rest): p, m, v copied in,
   * updated in place, copied out to pOut, mOut, vOut. Threads take lanes of elements.
   */
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, out: [Float32Array, Float32Array, Float32Array], k: { b1: number; b2: number; eps: number; wd: number; decay: number; step: number; vScale: number; ok: boolean }): void {
    // an element costs a square root and a division (~30 cycles a vector): worth splitting 8× sooner than a copy
    const n4 = p.length >> 2, lanes = this.lanes(8 * p.length, SPLIT_ELEMENTS, n4);
    const twin = this.on(lanes, p, g, m, v, ...out);
    if (twin) return twin.adam(p, g, m, v, out, k);
    this.reset();
    if (n4 === 0) return;
    const n = 4 * n4;
    // p, m and v updated in place where their outputs are bound (written there already, if they lie here)
    const [ps, ms, vs] = [p, m, v].map((a, i) => {
      const at = this.target(out[i].subarray(0, n));
      this.f32(at, n).set(a.subarray(0, n));
      return at;
    });
    const gs = this.put(g.subarray(0, n));
    const prm = this.alloc(160);
    const consts = this.f32(prm, 40);
    [k.b1, 1 - k.b1, k.b2, 1 - k.b2, k.eps, k.wd, k.decay, k.step, k.vScale].forEach((c, i) => consts.fill(c, 4 * i, 4 * i + 4));
    new Int32Array(this.memory.buffer, prm + 144, 4).fill(k.ok ? -1 : 0);
    this.run(ranges(n4, lanes).filter(([lo, hi]) => hi > lo).map(([lo, hi]) => [[ADAM, ps + 16 * lo, gs + 16 * lo, ms + 16 * lo, vs + 16 * lo, hi - lo, prm]]));
    [ps, ms, vs].forEach((at, i) => this.done(out[i].subarray(0, n), at));
  }
}

let instance: FastKernels | null | undefined;

/**
 * The fast kernels, or null where WebAssembly SIMD is unavailable (the reference loops run):
 * an instance on a private memory for work on one thread, with a twin on a shared memory for
 * work split over threads where SharedArrayBuffer exists. `threads` (CpuCaps.threads; 0: the
 * cores available) sets how many threads its kernels may use from now on.
 */
export function fastKernels(threads?: number): FastKernels | null {
  if (instance === undefined) {
    instance = kernelsOn(false);
    if (instance && typeof SharedArrayBuffer !== "undefined") instance.twin = kernelsOn(true);
    // a compiled step's slots may live in the shared memory from now on (backends/cpu.ts)
    if (instance?.twin) setResidentMemory(instance);
  }
  if (threads !== undefined) instance?.useThreads(threads || coreCount());
  return instance;
}

/** Runs an op on the CPU: its fast kernel in the fast mode where it applies, else the reference. */
export function runCpu<A>(def: OpDef<A>, args: CpuArgs<A>): void {
  if (!(args.cpu.mode === "fast" && def.cpuFast?.(args))) def.cpu(args);
}

/** The threads the fast mode's kernels use with these caps, and why only one where that is so. */
export function cpuThreads(cpu: CpuCaps): { threads: number; note: string | null } {
  if (cpu.mode !== "fast") return { threads: 1, note: "one thread: the reference mode" };
  const f = fastKernels(cpu.threads);
  if (!f) return { threads: 1, note: "one thread: no WebAssembly SIMD here" };
  const want = cpu.threads || coreCount(), threads = f.useThreads(want);
  return { threads, note: threads < want ? threadNote() : want === 1 ? "one thread: one core here (or threads: 1)" : null };
}

function kernelsOn(shared: boolean): FastKernels | null {
  const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  if (!wasm) return null;
  try {
    const memory = new wasm.Memory(shared ? { initial: 1, maximum: MAX_PAGES, shared: true } : { initial: 1 });
    const module = new wasm.Module(fastModuleBytes(shared));
    return new FastKernels(memory, module, new wasm.Instance(module, { m: { mem: memory } }).exports, shared);
  } catch {
    return null; // no SIMD (a CompileError) or no shared memory: the reference loops, or one thread
  }
}
