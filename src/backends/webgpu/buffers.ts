/**
 * @file GPU buffer pool. Buffers are recycled by size (rounded up to 16 bytes, never past the
 * device's maxStorageBufferBindingSize), so a training loop that keeps making same-sized
 * results reuses the same allocations, and buffers of different roles rarely trade places (a
 * power-of-two class mixed every small tensor of a step, so its bind groups kept changing). A
 * result handle returns its buffer when the tensor holding it is garbage-collected; buffers
 * given back explicitly (an assigned weight's previous data) are reused first, so a compiled
 * step's weights ping-pong between the same buffers and its bind groups can be cached.
 */
import { DeviceError } from "../../errors.ts";

export interface GpuHandle {
  buffer: GPUBuffer;
  /** Bytes of data (the buffer may be larger). */
  bytes: number;
  /**
   * Where the data starts in the buffer, for a window of another handle's buffer (a parameter
   * inside the optimizer's packed buffer): it does not own the buffer. Absent: 0, owned.
   */
  offset?: number;
  /** The validation of the run that wrote it (null: valid); a read throws the error. */
  validation?: Promise<Error | null>;
}

const USAGE_STORAGE = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST

export class BufferPool {
  /** Buffers given back explicitly (in a fixed order each step): reused first. */
  private readonly free = new Map<number, GPUBuffer[]>();
  /** Buffers returned by the GC (in no particular order): reused when the first list is empty. */
  private readonly collected = new Map<number, GPUBuffer[]>();
  /** Bytes of every buffer this pool has created (live or free). */
  allocatedBytes = 0;
  private readonly finalizer = new FinalizationRegistry<GPUBuffer>((buffer) => this.push(this.collected, buffer));

  constructor(private readonly device: GPUDevice, private readonly maxBinding: number) {}

  /** A storage buffer of at least `bytes` bytes (4 minimum: WebGPU has no empty bindings). */
  acquire(bytes: number, what: string): GPUBuffer {
    if (bytes > this.maxBinding) {
      throw new DeviceError(`${what}: ${bytes} bytes exceed this device's maxStorageBufferBindingSize (${this.maxBinding}); use a smaller batch`);
    }
    const size = sizeClass(bytes);
    for (const lists of [this.free, this.collected]) {
      const list = lists.get(size);
      if (list && list.length > 0) return list.pop()!;
    }
    this.allocatedBytes += size;
    return this.device.createBuffer({ size, usage: USAGE_STORAGE });
  }

  release(buffer: GPUBuffer): void {
    this.push(this.free, buffer);
  }

  private push(lists: Map<number, GPUBuffer[]>, buffer: GPUBuffer): void {
    const list = lists.get(buffer.size) ?? [];
    list.push(buffer);
    lists.set(buffer.size, list);
  }

  /** A handle whose buffer goes back to the pool once the handle is unreachable. */
  handle(bytes: number, what: string): GpuHandle {
    const h = { buffer: this.acquire(bytes, what), bytes };
    this.finalizer.register(h, h.buffer, h);
    return h;
  }

  /** A new, zeroed buffer that is never recycled (a packed value's slot: its gaps stay zero). */
  fresh(bytes: number, what: string): GPUBuffer {
    if (bytes > this.maxBinding) {
      throw new DeviceError(`${what}: ${bytes} bytes exceed this device's maxStorageBufferBindingSize (${this.maxBinding}); use a smaller batch`);
    }
    const size = sizeClass(bytes);
    this.allocatedBytes += size;
    return this.device.createBuffer({ size, usage: USAGE_STORAGE });
  }

  /** Returns a handle's buffer now (its owner is done with it); the finalizer is cancelled. */
  releaseHandle(h: GpuHandle): void {
    this.finalizer.unregister(h);
    this.release(h.buffer);
  }
}

/** The size of the buffer the pool makes for `bytes`: a multiple of 16, at least 16. */
export function sizeClass(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}
