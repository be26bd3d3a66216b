/**
 * @file Shader modules and compute pipelines, cached by WGSL text (and override constants).
 * Each is created inside a validation error scope; its `check` resolves to null or to a
 * DeviceError naming the kernel, with every compiler message as line:col and the WGSL. The
 * backend makes it part of the validation of every run that uses the pipeline, so the error
 * is thrown by a read of that run's results, never by an unrelated one. Checks resolve, never
 * reject: no error can become an unhandled rejection.
 */
import { DeviceError } from "../../errors.ts";
import { debugLevel } from "../../debug.ts";

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  /** null once the pipeline is known valid, else the error that says why not. */
  check: Promise<DeviceError | null>;
}

export class PipelineCache {
  private readonly cache = new Map<string, CachedPipeline>();
  private readonly modules = new Map<string, GPUShaderModule>();
  /** Errors no scope caught (the device's uncapturederror events), for the next read. */
  private uncaptured: DeviceError[] = [];

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.cache.size;
  }

  /** The pipeline of `code` with these `override` constants (one shader module per code). */
  get(name: string, code: string, constants?: Record<string, number>): GPUComputePipeline {
    return this.entry(name, code, constants).pipeline;
  }

  /** The pipeline and its validation check. */
  entry(name: string, code: string, constants?: Record<string, number>): CachedPipeline {
    const key = constants ? `${JSON.stringify(constants)}\n${code}` : code;
    const hit = this.cache.get(key);
    if (hit) return hit;
    if (debugLevel >= 2) console.log(`webgpu-dl: WGSL for ${name}\n${code}`);
    this.device.pushErrorScope("validation");
    let module = this.modules.get(code);
    if (!module) this.modules.set(code, (module = this.device.createShaderModule({ code, label: name })));
    const pipeline = this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main", ...(constants ? { constants } : {}) }, label: name });
    const check = this.device.popErrorScope().then(async (err) => {
      if (!err) return null;
      const info = await module.getCompilationInfo();
      const msgs = info.messages.map((m) => `  ${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`).join("\n");
      return new DeviceError(`${name}: WGSL pipeline failed: ${err.message}\n${msgs}\n--- WGSL ---\n${numbered(code)}`);
    }, (e: unknown) => new DeviceError(`${name}: creating the pipeline failed (${(e as Error).message})`));
    const entry = { pipeline, check };
    this.cache.set(key, entry);
    return entry;
  }

  /** Records an error no scope caught; the next read throws it. */
  uncapturedError(error: DeviceError): void {
    this.uncaptured.push(error);
  }

  /** Throws the first uncaptured error since the last call. */
  throwUncaptured(): void {
    const [first] = this.uncaptured;
    this.uncaptured = [];
    if (first) throw first;
  }
}

function numbered(code: string): string {
  return code.split("\n").map((l, i) => `${String(i + 1).padStart(4)} ${l}`).join("\n");
}
