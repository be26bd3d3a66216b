/**
 * @file The WebGPU backend. A plan is prepared once (each step's kernel plan from its OpDef,
 * pipelines, scratch and slot buffers); every run then binds its inputs, takes fresh
 * buffers for the plan outputs, encodes every dispatch of every step into one command
 * encoder and submits once. Reading is the only wait. In Node, where Dawn polls on the main
 * thread while a read is pending, the first read after a run first sleeps through 90 % of
 * that plan's last measured run time (see `Flight`).
 */
import type { DType, TypedArray } from "../../dtype.ts";
import { allocArray } from "../../dtype.ts";
import { DeviceError, DeviceLostError, GraphError } from "../../errors.ts";
import { sizeOf } from "../../shape.ts";
import type { Plan } from "../../graph/plan.ts";
import type { DeviceCaps, KernelCall } from "../../ops/types.ts";
import type { Backend } from "../backend.ts";
import type { RunStatus } from "../../graph/guard.ts";
import { STATUS_WORDS } from "../../ops/fault.ts";
import { acquireDevice, type AdapterDescription } from "./device.ts";
import { BufferPool, sizeClass, type GpuHandle } from "./buffers.ts";
import { PipelineCache } from "./pipelines.ts";
import { debugLevel, recordKernelTime } from "../../debug.ts";

/** Bytes of a run's status buffer. */
const STATUS_BYTES = STATUS_WORDS * 4;

/** Bytes of one element on the GPU: bool is a u32 there. */
const GPU_BYTES: Record<DType, number> = { float32: 4, int32: 4, bool: 4, float64: 8 };

interface PreparedCall {
  call: KernelCall;
  pipeline: GPUComputePipeline;
  grid: [number, number, number];
  /** Bind groups by the ids of the buffers they bind (pooled buffers recur, so these hit). */
  groups: Map<string, GPUBindGroup>;
  /** The uniform buffer of `call.params`, written once. */
  params?: GPUBuffer;
}

/** The longest a wait is nudged along with empty submits (see `nudged`). */
const NUDGE_FOR_MS = 1000;

/** How many bind groups a call keeps: enough for a few rotating input/output buffers. */
const BIND_GROUP_CACHE = 8;

interface PreparedStep {
  calls: PreparedCall[];
  scratch: GPUBuffer[];
}

interface Prepared {
  steps: PreparedStep[];
  slots: GPUBuffer[];
  /** null once every pipeline of the plan is known valid, else the first one's error. */
  validation: Promise<DeviceError | null>;
}

/**
 * The runs submitted since the last completed read. When there is one, and its plan's last
 * run took `latency`, the first read sleeps (a timer: no CPU) until 0.9 × latency after the
 * submit before it starts Dawn's polling wait, so the polling does not compete with a
 * software adapter for the CPU (LeNet-5 step on SwiftShader, 2 cores: ≈ 320 → 235 ms).
 * Concurrent reads share the sleep. A run that had ended before the sleep did (its read
 * resolves within 1 ms of waking) shrinks the estimate by a fifth; otherwise the measured
 * time replaces it, so a timer that wakes late cannot inflate the estimate run after run.
 */
interface Flight {
  plan: Plan;
  at: number;
  runs: number;
  sleep?: Promise<number | undefined>;
  woke?: number;
}

export class WebGpuBackend implements Backend {
  readonly name = "webgpu";
  private lost: string | null = null;
  private readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  private readonly prepared = new WeakMap<Plan, Prepared>();
  /** Number of queue submissions so far (one per plan run). */
  submits = 0;
  /** Number of bind groups created so far (flat once a compiled step is warm). */
  bindGroupsCreated = 0;
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 0;

  private flight: Flight | null = null;
  private readonly latency = new WeakMap<Plan, number>();
  /** Reads that slept before waiting (see `Flight`); for tests. */
  quietWaits = 0;

  /**
   * What kernels are told of this device (ops/types.ts): the one place that chooses code made
   * for software adapters. Tests may set `matmul` before planning to run the other family.
   */
  readonly caps: DeviceCaps;

  private constructor(readonly device: GPUDevice, readonly info: AdapterDescription, private readonly pollsWhileWaiting = false) {
    // software adapters run WGSL on the CPU, where barrier-free matmuls are far faster
    this.caps = {
      software: info.software,
      matmul: info.software ? "direct" : "tiled",
      limits: { invocations: device.limits.maxComputeInvocationsPerWorkgroup, workgroupStorage: device.limits.maxComputeWorkgroupStorageSize },
    };
    this.pool = new BufferPool(device, device.limits.maxStorageBufferBindingSize);
    this.pipelines = new PipelineCache(device);
    device.lost.then((l) => {
      this.lost = `${l.reason}: ${l.message}`;
    });
    // anything outside our error scopes still reaches the next read, never silence
    device.addEventListener("uncapturederror", (e) => {
      const msg = (e as GPUUncapturedErrorEvent).error.message;
      this.pipelines.uncapturedError(new DeviceError(`webgpu: uncaptured device error: ${msg}`));
    });
  }

  static async create(): Promise<WebGpuBackend> {
    const { device, info, pollsWhileWaiting } = await acquireDevice();
    // the read-wait pacer exists for a software adapter, which needs the CPU Dawn's polling takes
    return new WebGpuBackend(device, info, pollsWhileWaiting && info.software);
  }

  get isLost(): boolean {
    return this.lost !== null;
  }

  /** Bytes of GPU memory the buffer pool has allocated. */
  get allocatedBytes(): number {
    return this.pool.allocatedBytes + this.statusBytes;
  }

  /** Bytes written to the device from the host so far (uploads). */
  uploadedBytes = 0;

  upload(data: TypedArray, dtype: DType): GpuHandle {
    this.checkAlive();
    const gpu = toGpu(data, dtype);
    const h = this.pool.handle(gpu.byteLength, "upload");
    this.device.queue.writeBuffer(h.buffer, 0, gpu.buffer, gpu.byteOffset, gpu.byteLength);
    this.uploadedBytes += gpu.byteLength;
    return h;
  }

  async read(handle: unknown, dtype: DType, size: number, status?: RunStatus): Promise<TypedArray> {
    this.checkAlive();
    this.pipelines.throwUncaptured();
    const bytes = size * GPU_BYTES[dtype];
    const out = allocArray(dtype, size);
    // the run's status words travel in the same staging buffer, after the data
    const st = status && status.words === null && status.handle !== null ? (status.handle as GpuHandle) : null;
    if (bytes === 0 && !st) {
      const invalid = await (handle as GpuHandle | null)?.validation;
      if (invalid) throw invalid;
      return out;
    }
    const dataBytes = bytes === 0 ? 0 : align4(bytes);
    const statusAt = Math.ceil(dataBytes / 256) * 256;
    const staging = this.stagingBuffer(st ? statusAt + STATUS_BYTES : dataBytes);
    const enc = this.device.createCommandEncoder();
    if (dataBytes > 0) enc.copyBufferToBuffer((handle as GpuHandle).buffer, (handle as GpuHandle).offset ?? 0, staging, 0, dataBytes);
    if (st) enc.copyBufferToBuffer(st.buffer, 0, staging, statusAt, STATUS_BYTES);
    // the copy is queued before anything is awaited: the caller may go on to release this
    // buffer or run a step that writes it, and the queue runs the copy first
    this.device.queue.submit([enc.finish()]);
    // the run that wrote this data failed validation (a bad pipeline, say): its error, here
    const invalid = await (handle as GpuHandle | null)?.validation;
    if (invalid) {
      staging.destroy();
      throw invalid;
    }
    const f = this.flight;
    const estimate = f ? this.latency.get(f.plan) : undefined;
    if (f && f.runs === 1) {
      f.sleep ??= this.sleepUntil(f.at + 0.9 * (estimate ?? 0));
      f.woke = await f.sleep;
    }
    try {
      await this.nudged(staging.mapAsync(GPUMapMode.READ));
    } catch (e) {
      // a device lost while the read was in flight rejects with a bare DOMException
      this.checkAlive();
      await new Promise((r) => setTimeout(r, 0)); // let device.lost settle first
      this.checkAlive();
      throw new DeviceError(`webgpu: reading ${size} ${dtype} values failed (${(e as Error).message || (e as Error).name}); the device may be lost`);
    }
    if (f && this.flight === f) {
      const done = performance.now();
      // done at once after waking: the run ended during the sleep, whose length says nothing
      // of when; shrink the estimate instead of taking sleep + wake-up delay as the run time
      if (f.runs === 1) this.latency.set(f.plan, f.woke !== undefined && done - f.woke < 1 ? 0.8 * estimate! : done - f.at);
      this.flight = null;
    }
    this.checkAlive();
    const raw = staging.getMappedRange().slice(0);
    staging.unmap();
    // back to its free list: a warm loop reading the same sizes creates no buffer
    (this.stagingFree.get(staging.size) ?? this.stagingFree.set(staging.size, []).get(staging.size)!).push(staging);
    if (st && status!.words === null) {
      status!.words = new Uint32Array(raw, statusAt, STATUS_WORDS).slice();
      status!.handle = null;
      this.statusFinalizer.unregister(st);
      this.statusFree.push(st.buffer);
    }
    if (bytes > 0) fromGpu(raw, dtype, out);
    return out;
  }

  /**
   * A run's status buffer (ops/fault.ts); zeroed by the run that binds it. Status buffers
   * have a free list of their own, so a step reuses the same one (and its cached bind group)
   * instead of trading places with the step's other small buffers.
   */
  newStatus(): GpuHandle {
    this.checkAlive();
    let buffer = this.statusFree.pop();
    if (!buffer) {
      buffer = this.device.createBuffer({ size: STATUS_BYTES, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      this.statusBytes += STATUS_BYTES;
    }
    const h = { buffer, bytes: STATUS_BYTES };
    this.statusFinalizer.register(h, buffer, h);
    return h;
  }

  releaseStatus(handle: unknown): void {
    const h = handle as GpuHandle;
    this.statusFinalizer.unregister(h);
    this.statusFree.push(h.buffer);
  }

  private readonly statusFree: GPUBuffer[] = [];
  /** A status nobody read gives its buffer back when its handle is collected. */
  private readonly statusFinalizer = new FinalizationRegistry<GPUBuffer>((b) => this.statusFree.push(b));
  private statusBytes = 0;

  /** Sleeps until time t if that is ≥ 2 ms away; resolves to when it woke (undefined: no sleep). */
  private sleepUntil(t: number): Promise<number | undefined> {
    const ms = t - performance.now();
    if (ms < 2) return Promise.resolve(undefined);
    this.quietWaits++;
    return new Promise((resolve) => setTimeout(() => resolve(performance.now()), ms));
  }

  /** Mapped-for-read buffers by size, given back after each read (a few sizes in a loop). */
  private readonly stagingFree = new Map<number, GPUBuffer[]>();

  private stagingBuffer(size: number): GPUBuffer {
    return this.stagingFree.get(size)?.pop() ?? this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  settled(): Promise<void> {
    this.checkAlive();
    return this.nudged(this.device.queue.onSubmittedWorkDone());
  }

  /**
   * Firefox checks for finished GPU work about every 100 ms while its queue is idle, so a read
   * or a completion wait could stall that long after the work is done. Where that is the case
   * (`nudgeWhileWaiting`: Firefox's user agent), an empty submit every millisecond for as long
   * as the wait lasts (at most a second) keeps it looking, as jax-js does. Off elsewhere: Dawn
   * in Node and Chrome are not helped by it.
   */
  nudgeWhileWaiting = typeof navigator !== "undefined" && /Firefox\//.test((navigator as { userAgent?: string }).userAgent ?? "");
  /** Empty submits made while waiting (for tests). */
  nudges = 0;

  private async nudged<T>(wait: Promise<T>): Promise<T> {
    if (!this.nudgeWhileWaiting) return wait;
    let done = false;
    const until = performance.now() + NUDGE_FOR_MS;
    const tick = () => {
      if (done || performance.now() > until || this.lost) return;
      this.device.queue.submit([]);
      this.nudges++;
      setTimeout(tick, 1);
    };
    setTimeout(tick, 1);
    try {
      return await wait;
    } finally {
      done = true;
    }
  }

  release(handle: unknown): void {
    const h = handle as GpuHandle;
    if (h.offset !== undefined) return; // a window owns nothing
    this.pool.releaseHandle(h);
  }

  window(handle: unknown, offset: number, size: number, dtype: DType): GpuHandle {
    const h = handle as GpuHandle;
    const at = (h.offset ?? 0) + offset * GPU_BYTES[dtype];
    return { buffer: h.buffer, offset: at, bytes: size * GPU_BYTES[dtype], ...(h.validation ? { validation: h.validation } : {}) };
  }

  run(plan: Plan, inputs: unknown[], status?: unknown, reuse?: readonly unknown[]): unknown[] {
    this.checkAlive();
    const statusBuffer = (status as GpuHandle | undefined)?.buffer;
    const prep = this.prepare(plan);
    const buffers: Bind[] = new Array(plan.values.length);
    plan.inputs.forEach((id, i) => (buffers[id] = bindOf(inputs[i] as GpuHandle)));
    plan.values.forEach((v) => {
      if (v.kind === "temp" && !v.place) buffers[v.id] = { buffer: prep.slots[v.slot] };
    });
    // pack members placed in their pack's slot: windows of it
    for (const v of plan.values) {
      if (v.place) buffers[v.id] = { buffer: prep.slots[plan.values[v.place.of].slot], offset: v.place.offset * GPU_BYTES[v.dtype], size: align4(sizeOf(v.shape) * GPU_BYTES[v.dtype]) };
    }
    const handles = new Map<number, GpuHandle>();
    // last plan outputs first: compile puts assigned tensors last, and they should take the
    // buffers the previous step gave back (see BufferPool)
    for (let k = plan.outputs.length - 1; k >= 0; k--) {
      const v = plan.values[plan.outputs[k]];
      const bytes = sizeOf(v.shape) * GPU_BYTES[v.dtype];
      const wanted = v.kind === "output" && !handles.has(v.id);
      // the caller's spare for this output (Backend.run), if it fits; else back to the pool
      const given = reuse?.[k] as GpuHandle | undefined;
      // an in-place output (PlanValue.inPlaceOf) takes only its input's own, whole buffer
      const input = v.inPlaceOf === undefined ? undefined : (inputs[plan.inputs.indexOf(v.inPlaceOf)] as GpuHandle);
      const own = given !== undefined && given === input && given.offset === undefined;
      const fits = given !== undefined && wanted && (v.inPlaceOf === undefined ? given.buffer.size === sizeClass(bytes) : own);
      // never give an input's buffer to the pool
      if (given && !fits && !inputs.includes(given)) this.pool.releaseHandle(given);
      if (!wanted) continue;
      const h = fits ? given : this.pool.handle(bytes, `output ${v.dtype}[${v.shape}]`);
      handles.set(v.id, h);
      buffers[v.id] = { buffer: h.buffer };
    }
    for (const v of plan.values) if (v.kind === "view") buffers[v.id] = buffers[v.viewOf!];
    // WEBGPU_DL_DEBUG ≥ 1: one submit per dispatch, timed in queue order (slower; for profiling)
    const timed = debugLevel >= 1;
    // the first dispatch is timed from when the queue was idle, not from an earlier run's end
    if (timed) this.device.queue.onSubmittedWorkDone().then(() => (this.lastDone = performance.now()));
    this.device.pushErrorScope("validation");
    let enc = this.device.createCommandEncoder();
    if (statusBuffer) enc.clearBuffer(statusBuffer, 0, STATUS_BYTES);
    let pass = enc.beginComputePass();
    plan.steps.forEach((step, s) => {
      // an in-place output starts as its input, copied unless it is the input's own buffer
      for (const [o, i] of step.op.inPlace ?? []) {
        const [dst, src] = [buffers[step.outputs[o]], buffers[step.inputs[i]]];
        if (dst.buffer === src.buffer && (dst.offset ?? 0) === (src.offset ?? 0)) continue;
        pass.end();
        enc.copyBufferToBuffer(src.buffer, src.offset ?? 0, dst.buffer, dst.offset ?? 0, align4(sizeOf(plan.values[step.outputs[o]].shape) * GPU_BYTES[plan.values[step.outputs[o]].dtype]));
        pass = enc.beginComputePass();
      }
      for (const pc of prep.steps[s].calls) {
        const { call, pipeline, grid } = pc;
        const bound = call.bindings.map((b) => {
          if ("in" in b) return buffers[step.inputs[b.in]];
          if ("out" in b) return buffers[step.outputs[b.out]];
          if ("scratch" in b) return { buffer: prep.steps[s].scratch[b.scratch] };
          if ("params" in b) return { buffer: pc.params! };
          if (!statusBuffer) throw new GraphError(`${call.name}: the kernel reports faults but the run has no status buffer`);
          return { buffer: statusBuffer };
        });
        if (grid[0] * grid[1] * grid[2] === 0) continue; // no threads: an empty input, say
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, this.bindGroup(pc, bound));
        pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
        if (timed) {
          pass.end();
          this.device.queue.submit([enc.finish()]);
          this.timeLastSubmit(call.name);
          enc = this.device.createCommandEncoder();
          pass = enc.beginComputePass();
        }
      }
    });
    pass.end();
    this.device.queue.submit([enc.finish()]);
    this.submits++;
    // only where Dawn polls; per-dispatch timing needs the polling to see each submit end
    if (timed || !this.pollsWhileWaiting) this.flight = null;
    else if (this.flight) this.flight.runs++;
    else this.flight = { plan, at: performance.now(), runs: 1 };
    const ops = [...new Set(plan.steps.map((st) => st.op.name))].join(", ");
    const scope = this.device.popErrorScope().then(
      (err) => (err ? new DeviceError(`webgpu: running a plan of [${ops}] failed validation: ${err.message}`) : null),
      (e: unknown) => new DeviceError(`webgpu: running a plan of [${ops}]: ${(e as Error).message}`),
    );
    // a pipeline's own error first: it says more than the run it spoiled
    const validation = Promise.all([prep.validation, scope]).then(([a, b]) => a ?? b);
    for (const h of handles.values()) h.validation = validation;
    return plan.outputs.map((id) => (plan.values[id].kind === "input" ? inputs[plan.inputs.indexOf(id)] : handles.get(id)));
  }

  /** The call's bind group for these buffers, from its cache when they were bound before. */
  private bindGroup(pc: PreparedCall, bound: Bind[]): GPUBindGroup {
    const key = bound.map((b) => (b.offset === undefined ? `${this.bufferId(b.buffer)}` : `${this.bufferId(b.buffer)}@${b.offset}+${b.size}`)).join(",");
    let g = pc.groups.get(key);
    if (!g) {
      g = this.device.createBindGroup({ layout: pc.pipeline.getBindGroupLayout(0), entries: bound.map((resource, binding) => ({ binding, resource })) });
      this.bindGroupsCreated++;
      if (pc.groups.size >= BIND_GROUP_CACHE) pc.groups.delete(pc.groups.keys().next().value!);
      pc.groups.set(key, g);
    }
    return g;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
    return id;
  }

  private lastDone = 0;

  /** Debug timing: the queue runs submits in order, so each one's time is done − previous done. */
  private timeLastSubmit(name: string): void {
    this.device.queue.onSubmittedWorkDone().then(() => {
      const now = performance.now();
      if (this.lastDone > 0) recordKernelTime(name, now - this.lastDone);
      this.lastDone = now;
    });
  }

  private prepare(plan: Plan): Prepared {
    let p = this.prepared.get(plan);
    if (p) return p;
    const checks: Promise<DeviceError | null>[] = [];
    const steps = plan.steps.map((step, s): PreparedStep => {
      const op = step.op;
      // nothing to compute for a step whose every output is empty (no kernel, no dispatch)
      if (step.outputs.every((id) => sizeOf(plan.values[id].shape) === 0)) return { calls: [], scratch: [] };
      if (!op.webgpu) throw new GraphError(`${op.name}: no WebGPU kernel yet; run this graph with setBackend("cpu")`);
      const kp = op.webgpu({
        inShapes: step.inputs.map((id) => plan.values[id].shape),
        outShapes: step.outputs.map((id) => plan.values[id].shape),
        inDtypes: step.inputs.map((id) => plan.values[id].dtype),
        outDtypes: step.outputs.map((id) => plan.values[id].dtype),
        attrs: step.attrs as never,
        device: this.caps,
      });
      const maxBuffers = this.device.limits.maxStorageBuffersPerShaderStage;
      for (const call of kp.calls) {
        const storage = call.bindings.filter((b) => !("params" in b)).length;
        if (storage > maxBuffers) {
          throw new DeviceError(`${call.name}: binds ${storage} storage buffers, this device allows ${maxBuffers} per shader stage (maxStorageBuffersPerShaderStage)`);
        }
        if (call.bindings.some((b) => "params" in b) !== (call.params !== undefined)) {
          throw new GraphError(`${call.name}: a kernel call binds { params: true } exactly when it has params`);
        }
      }
      return {
        scratch: (kp.scratch ?? []).map((b) => this.pool.acquire(b, `${op.name} scratch`)),
        calls: kp.calls.map((call) => {
          // a kernel that reports faults names its step: SITE, an override constant
          const faults = call.bindings.some((b) => "status" in b);
          const constants = faults ? { ...call.constants, SITE: s } : call.constants;
          const { pipeline, check } = this.pipelines.entry(call.name, call.code, constants);
          checks.push(check);
          return { call, pipeline, grid: this.grid(call), groups: new Map(), params: call.params && this.paramsBuffer(call.params) };
        }),
      };
    });
    // Slots hold any dtype; on the GPU every element is 4 bytes, the host byte count is a lower bound.
    const slotBytes = plan.slotBytes.map(() => 0);
    for (const v of plan.values) if (v.kind === "temp" && !v.place) slotBytes[v.slot] = Math.max(slotBytes[v.slot], sizeOf(v.shape) * GPU_BYTES[v.dtype]);
    const validation = Promise.all(checks).then((errs) => errs.find((e) => e !== null) ?? null);
    // a pack's own slot is made zeroed and kept so: its gaps are never written (graph/plan.ts)
    const exclusive = new Set(plan.values.filter((v) => v.exclusive).map((v) => v.slot));
    const slots = slotBytes.map((b, k) => (exclusive.has(k) ? this.pool.fresh(b, "packed buffer") : this.pool.acquire(b, "plan buffer")));
    p = { steps, slots, validation };
    this.prepared.set(plan, p);
    return p;
  }

  /** A uniform buffer holding `values` as u32 (16-byte rows, as uniforms are laid out). */
  private paramsBuffer(values: number[]): GPUBuffer {
    const data = new Uint32Array(Math.max(4, Math.ceil(values.length / 4) * 4));
    data.set(values);
    const buffer = this.device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  /** Workgroups for a call: 1-D thread counts fold into x·y past the per-dimension limit. */
  private grid(call: KernelCall): [number, number, number] {
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (call.workgroups) {
      if (!call.workgroups.every((w) => Number.isInteger(w) && w >= 0)) throw new DeviceError(`${call.name}: grid ${call.workgroups.join("×")} is not a grid of whole numbers of workgroups`);
      if (call.workgroups.some((w) => w > max)) throw new DeviceError(`${call.name}: grid ${call.workgroups.join("×")} exceeds maxComputeWorkgroupsPerDimension (${max})`);
      return call.workgroups;
    }
    const groups = Math.ceil((call.threads ?? 0) / 64);
    if (groups <= max) return [groups, 1, 1];
    const y = Math.ceil(groups / max);
    if (y > max) throw new DeviceError(`${call.name}: ${call.threads} threads exceed the dispatch limit (${max}² workgroups)`);
    return [max, y, 1];
  }

  private checkAlive(): void {
    if (this.lost) throw new DeviceLostError(`the WebGPU device was lost (${this.lost}); call setBackend("webgpu") again to continue`);
  }
}

/** A bind-group entry: a whole buffer, or a window of one (a pack member, a parameter). */
interface Bind {
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

function bindOf(h: GpuHandle): Bind {
  return h.offset === undefined ? { buffer: h.buffer } : { buffer: h.buffer, offset: h.offset, size: align4(h.bytes) };
}

function align4(n: number): number {
  return Math.max(4, Math.ceil(n / 4) * 4);
}

/** Host array → the bytes the GPU holds (bool widened to u32; float64 refused). */
function toGpu(data: TypedArray, dtype: DType): Uint8Array {
  if (dtype === "float64") throw new DeviceError("webgpu: float64 tensors are CPU-only; cast to float32 first");
  if (dtype === "bool") return new Uint8Array(Uint32Array.from(data).buffer);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function fromGpu(raw: ArrayBuffer, dtype: DType, out: TypedArray): void {
  if (dtype === "bool") out.set(new Uint32Array(raw, 0, out.length));
  else if (dtype === "int32") out.set(new Int32Array(raw, 0, out.length));
  else out.set(new Float32Array(raw, 0, out.length));
}
