/**
 * @file Getting a GPUDevice: `navigator.gpu` in a browser, the `webgpu` npm package (Dawn) in
 * Node. On Linux with no hardware Vulkan driver, Chromium's SwiftShader driver (a CPU
 * implementation of Vulkan) is selected through VK_ICD_FILENAMES before Dawn starts, with a
 * one-line warning, and an unset XDG_RUNTIME_DIR is pointed at a private directory (Dawn
 * complains twice otherwise). No adapter at all is a DeviceError that says what to install.
 */
import { DeviceError } from "../../errors.ts";

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (SwiftShader, llvmpipe, a fallback adapter): correct but slow. */
  software: boolean;
}

export interface Acquired {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterDescription;
  /**
   * The device is Dawn's Node binding, which resolves GPU promises (mapAsync, …) by polling on
   * the main thread for as long as one is pending: measured 1.25 s of main-thread CPU during a
   * 1.9 s wait, a core that SwiftShader on a 2-core machine then lacks.
   */
  pollsWhileWaiting: boolean;
}

const SWIFTSHADER_ICDS = ["/usr/lib/chromium/vk_swiftshader_icd.json", "/usr/lib64/chromium/vk_swiftshader_icd.json", "/usr/lib/chromium-browser/vk_swiftshader_icd.json"];

let nodeGpu: GPU | null = null;

/** The GPU entry point: navigator.gpu, or Dawn's in Node (created once per process). */
export async function gpuEntry(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (!proc?.versions?.node) {
    throw new DeviceError("WebGPU is not available in this browser (navigator.gpu is missing); use a WebGPU-enabled browser or setBackend(\"cpu\")");
  }
  if (nodeGpu) return nodeGpu;
  await chooseVulkanDriver(proc);
  await quietRuntimeDir(proc);
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = (await import(/* @vite-ignore */ "webgpu")) as never;
  } catch (e) {
    throw new DeviceError(`WebGPU in Node needs the "webgpu" npm package (npm install webgpu): ${(e as Error).message}`);
  }
  Object.assign(globalThis, mod.globals); // GPUBufferUsage, GPUMapMode, …
  nodeGpu = mod.create([]);
  return nodeGpu;
}

/**
 * On Linux without a GPU, points Vulkan at SwiftShader (before Dawn loads). Driver files
 * alone prove nothing (Mesa installs Intel and Radeon ICDs on machines without those GPUs),
 * so a GPU counts as present when its device node exists: /dev/dri/renderD* or /dev/nvidia0.
 */
async function chooseVulkanDriver(proc: NodeJS.Process): Promise<void> {
  if (proc.platform !== "linux" || proc.env.VK_ICD_FILENAMES) return;
  const fs = await import("node:fs");
  let render: string[] = [];
  try {
    render = fs.readdirSync("/dev/dri").filter((f) => f.startsWith("renderD"));
  } catch {
    // no DRM devices at all
  }
  if (render.length > 0 || fs.existsSync("/dev/nvidia0")) return;
  const swiftshader = SWIFTSHADER_ICDS.find((p) => fs.existsSync(p));
  if (!swiftshader) return;
  proc.env.VK_ICD_FILENAMES = swiftshader;
  proc.stderr.write(`webgpu-dl: no hardware Vulkan driver found; using SwiftShader (${swiftshader}), a software adapter: correct, not fast\n`);
}

/**
 * Dawn's Linux startup prints `error: XDG_RUNTIME_DIR is invalid or not set in the environment.`
 * twice when that variable is unset (as under root, in CI, over ssh), though nothing it does
 * needs the directory. Before Dawn loads, an unset XDG_RUNTIME_DIR points at a private
 * per-user directory under the temp dir (mode 0700, created once), so the line never appears;
 * a value the user set is left alone.
 */
async function quietRuntimeDir(proc: NodeJS.Process): Promise<void> {
  if (proc.platform !== "linux" || proc.env.XDG_RUNTIME_DIR) return;
  const [fs, os, path] = await Promise.all([import("node:fs"), import("node:os"), import("node:path")]);
  const dir = path.join(os.tmpdir(), `webgpu-dl-runtime-${proc.getuid?.() ?? "user"}`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.statSync(dir);
    // someone else's directory, or one others can read: not ours to use
    if (st.uid !== proc.getuid?.() || (st.mode & 0o077) !== 0) return;
    proc.env.XDG_RUNTIME_DIR = dir;
  } catch {
    // an unwritable temp dir: the line stays, nothing else changes
  }
}

function describe(adapter: GPUAdapter): AdapterDescription {
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  const fallback = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
  return {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
    software: fallback || /swiftshader|llvmpipe|lavapipe|software/i.test(text),
  };
}

/** Requests the high-performance adapter and a device with the adapter's own limits. */
export async function acquireDevice(): Promise<Acquired> {
  const gpu = await gpuEntry();
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    throw new DeviceError(
      "no WebGPU adapter found. On Linux without a GPU install the SwiftShader driver " +
        "(apt-get install chromium libvulkan1) or set VK_ICD_FILENAMES; otherwise use setBackend(\"cpu\")",
    );
  }
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return { device, adapter, info: describe(adapter), pollsWhileWaiting: !nav?.gpu };
}
