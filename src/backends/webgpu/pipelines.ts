/**
 * @file Shader modules and compute pipelines, cached by WGSL text. Each is created inside a
 * validation error scope; a failure is reported (asynchronously, at the next read) as a
 * DeviceError naming the kernel, with every compiler message as line:col and the WGSL.
 */
import { DeviceError } from "../../errors.ts";
import { debugLevel } from "../../debug.ts";

export class PipelineCache {
  private readonly cache = new Map<string, GPUComputePipeline>();
  /** Validation checks still in flight; `check()` awaits them. */
  private pending: Promise<void>[] = [];

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.cache.size;
  }

  get(name: string, code: string): GPUComputePipeline {
    let p = this.cache.get(code);
    if (p) return p;
    if (debugLevel >= 2) console.log(`webgpu-dl: WGSL for ${name}\n${code}`);
    this.device.pushErrorScope("validation");
    const module = this.device.createShaderModule({ code, label: name });
    p = this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" }, label: name });
    const scope = this.device.popErrorScope();
    this.pending.push(
      scope.then(async (err) => {
        if (!err) return;
        const info = await module.getCompilationInfo();
        const msgs = info.messages.map((m) => `  ${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`).join("\n");
        throw new DeviceError(`${name}: WGSL pipeline failed: ${err.message}\n${msgs}\n--- WGSL ---\n${numbered(code)}`);
      }),
    );
    this.cache.set(code, p);
    return p;
  }

  /** Adds a check to await at the next read (a run's validation scope, an uncaptured error). */
  defer(check: Promise<void>): void {
    this.pending.push(check);
  }

  /** Throws the first pipeline error found since the last check. */
  async check(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
  }
}

function numbered(code: string): string {
  return code.split("\n").map((l, i) => `${String(i + 1).padStart(4)} ${l}`).join("\n");
}
