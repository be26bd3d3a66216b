/** @file Reading tensors in tests. */
import type { Tensor } from "../../src/index.ts";

/** The values of a tensor as a plain number array. */
export async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}
