/**
 * @file `webgpu-dl/internals`: what tools, tests and contributors use, not models: the op
 * registry and OpDef types (to add an op), the primitives that exist for gradient rules
 * (reluBackward, sumTo), the planner (buildPlan, formatPlan), `assignAll` and the per-kernel
 * timing report. No stability promise beyond the package's version.
 */
export { OPS } from "./ops/index.ts";
export type { OpDef, OpName, KernelCall, KernelPlan, GpuArgs, CpuArgs, DeviceCaps, FaultRule } from "./ops/types.ts";
export { reluBackward } from "./ops/elementwise.ts";
export { sumTo } from "./ops/reduce.ts";
export { buildPlan, formatPlan, planMemory, peakLiveBytes, unplannedBytes, type Plan, type PlanStep, type PlanValue } from "./graph/plan.ts";
export { assignAll } from "./graph/executor.ts";
export { pack, packLayout, PACK_ALIGN } from "./ops/pack.ts";
export { kernelTimeReport } from "./debug.ts";
