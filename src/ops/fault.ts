/**
 * @file Device-side faults: how a kernel reports a bad index or a non-finite value without
 * throwing (a kernel cannot) and without a host sync. Every run of a plan that has a step
 * which can fault gets a small status buffer, zeroed at the start of the run. The first
 * kernel to fault claims it (compare-and-swap on word 0) and writes where and what; later
 * faults only count. The step's guard reads word 0 to decide whether the optimizer may
 * update, and the host decodes the words when it reads the step's results (graph/guard.ts).
 *
 * Layout, u32 words:
 *   [0] 1 once any kernel of the run has faulted     [1] site: the plan step that faulted first
 *   [2] value: the bad index (i32 bits) or the non-finite value (f32 bits)
 *   [3] position: the element or row where it was     [4] detail: which input (the guard)
 */

/** Words in a run's status buffer (32 bytes). */
export const STATUS_WORDS = 8;

/** CPU: records a fault of step `site`; the first one claims the status, later ones leave it. */
export function raiseFault(status: Uint32Array, site: number, value: number, position: number, detail = 0): void {
  if (status[0] !== 0) return;
  status[0] = 1;
  status[1] = site;
  status[2] = value >>> 0;
  status[3] = position >>> 0;
  status[4] = detail >>> 0;
}

/** The f32 bit pattern of x, as the GPU stores it in a status word. */
export function f32Bits(x: number): number {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0];
}

// The WGSL side: shaders/lib/fault.wgsl (raise_fault) and shaders/lib/nonfinite.wgsl.
