/**
 * @file Seeded parameter initialisation. PyTorch's defaults for Linear and Conv2d
 * (kaiming_uniform with a = √5, which is U(−1/√fan_in, 1/√fan_in) for the weight, and the same
 * bound for the bias), plus Kaiming-normal and Xavier-uniform for explicit use.
 */
import { rand, randn, zeros } from "../creation.ts";
import type { Tensor } from "../tensor.ts";
import type { DType } from "../dtype.ts";
import { ShapeError } from "../errors.ts";

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

/**
 * How a Linear or Conv2d layer draws its parameters:
 * - "default": PyTorch's default, U(−1/√fan_in, 1/√fan_in) for weight and bias;
 * - "kaiming": He-normal weight N(0, 2/fan_in) and a zero bias, for ReLU networks;
 * - "xavier": Glorot-uniform weight and a zero bias, for tanh/sigmoid networks.
 */
export type LayerInit = "default" | "kaiming" | "xavier";

/** The weight (and bias of `out` elements, by default the weight's first dimension; when asked for) of a layer with the given fans, drawn as `init` says. */
export function initLayer(init: LayerInit, weightShape: number[], fanIn: number, fanOut: number, bias: boolean, out = weightShape[0]): { weight: Tensor; bias: Tensor | null } {
  switch (init) {
    case "default":
      return { weight: defaultUniform(weightShape, fanIn), bias: bias ? defaultUniform([out], fanIn) : null };
    case "kaiming":
      return { weight: kaimingNormal(weightShape, fanIn), bias: bias ? zeros([out]) : null };
    case "xavier":
      return { weight: xavierUniform(weightShape, fanIn, fanOut), bias: bias ? zeros([out]) : null };
    default:
      throw new ShapeError(`layer init: unknown init ${JSON.stringify(init)}; use "default", "kaiming" or "xavier"`);
  }
}
