/**
 * @file Shader modules and compute pipelines, cached by WGSL text. Each is created inside a
 * validation error scope; a failure is reported (asynchronously, at the next read) as a
 * DeviceError naming the kernel, with every compiler message as line:col and the WGSL.
 */
import { DeviceError } from "../../errors.ts";
import { debugLevel } from "../../debug.ts";

export class PipelineCache {
  private readonly cache = new Map<string, GPUComputePipeline>();
  private readonly modules = new Map<string, GPUShaderModule>();
  /** Validation checks still in flight; `check()` awaits them. */
  private pending: Promise<void>[] = [];

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.cache.size;
  }

  /** The pipeline of `code` with these `override` constants (one shader module per code). */
  get(name: string, code: string, constants?: Record<string, number>): GPUComputePipeline {
    const key = constants ? `${JSON.stringify(constants)}\n${code}` : code;
    let p = this.cache.get(key);
    if (p) return p;
    if (debugLevel >= 2) console.log(`webgpu-dl: WGSL for ${name}\n${code}`);
    this.device.pushErrorScope("validation");
    let module = this.modules.get(code);
    if (!module) this.modules.set(code, (module = this.device.createShaderModule({ code, label: name })));
    p = this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main", ...(constants ? { constants } : {}) }, label: name });
    const scope = this.device.popErrorScope();
    this.pending.push(
      scope.then(async (err) => {
        if (!err) return;
        const info = await module.getCompilationInfo();
        const msgs = info.messages.map((m) => `  ${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`).join("\n");
        throw new DeviceError(`${name}: WGSL pipeline failed: ${err.message}\n${msgs}\n--- WGSL ---\n${numbered(code)}`);
      }),
    );
    this.cache.set(key, p);
    return p;
  }

  /** Adds a check to await at the next read (a run's validation scope, an uncaptured error). */
  defer(check: Promise<void>): void {
    this.pending.push(check);
  }

  /** Throws the first error added since the last check, once every check has settled. */
  async check(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    // the first in the order they were added: a pipeline's own error, not the run it spoiled
    const failed = (await Promise.allSettled(pending)).find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}

function numbered(code: string): string {
  return code.split("\n").map((l, i) => `${String(i + 1).padStart(4)} ${l}`).join("\n");
}
