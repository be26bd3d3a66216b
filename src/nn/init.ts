/**
 * @file Seeded parameter initialisation. PyTorch's defaults for Linear and Conv2d
 * (kaiming_uniform with a = √5, which is U(−1/√fan_in, 1/√fan_in) for the weight, and the same
 * bound for the bias), plus Kaiming-normal and Xavier-uniform for explicit use.
 */
import { rand, randn } from "../creation.ts";
import type { Tensor } from "../tensor.ts";
import type { DType } from "../dtype.ts";

/** U(−1/√fanIn, 1/√fanIn): PyTorch's default for Linear/Conv2d weights and biases. */
export function defaultUniform(shape: number[], fanIn: number, seed?: number, dtype: DType = "float32"): Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return rand(shape, { low: -bound, high: bound, seed, dtype });
}

/** N(0, 2/fanIn): He initialisation for ReLU networks. */
export function kaimingNormal(shape: number[], fanIn: number, seed?: number): Tensor {
  return randn(shape, { std: Math.sqrt(2 / fanIn), seed });
}

/** U(−√(6/(fanIn+fanOut)), +…): Glorot initialisation for tanh/sigmoid networks. */
export function xavierUniform(shape: number[], fanIn: number, fanOut: number, seed?: number): Tensor {
  const bound = Math.sqrt(6 / (fanIn + fanOut));
  return rand(shape, { low: -bound, high: bound, seed });
}
