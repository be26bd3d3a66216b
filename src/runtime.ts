/**
 * @file Wires the Tensor (src/tensor.ts, below everything that computes) to the executor and
 * the ops it aliases: `t.data()`, `t.assign(v)` and `t.add(u)` call through the table set
 * here. The one place where a lower layer is given code from a higher one; creation.ts and
 * index.ts import this module, so it is loaded wherever a tensor can exist (package.json
 * lists it under `sideEffects` so that bundlers keep it).
 */
import { setTensorRuntime } from "./tensor.ts";
import { assignAll, readHost, realize } from "./graph/executor.ts";
import * as ew from "./ops/elementwise.ts";
import { max, mean } from "./ops/reduce.ts";
import { expand, sum } from "./ops/sum.ts";
import { flatten, permute, reshape, transpose } from "./ops/movement.ts";
import { matmul } from "./ops/matmul.ts";

setTensorRuntime({
  realize,
  read: readHost,
  assignAll,
  ops: {
    add: ew.add, sub: ew.sub, mul: ew.mul, div: ew.div, pow: ew.pow, maximum: ew.maximum,
    neg: ew.neg, exp: ew.exp, log: ew.log, sqrt: ew.sqrt, abs: ew.abs, relu: ew.relu, tanh: ew.tanh,
    sigmoid: ew.sigmoid, softplus: ew.softplus, square: ew.square, greater: ew.greater, less: ew.less, equal: ew.equal,
    cast: ew.cast, detach: ew.detach, sum, mean, max, expand, reshape, flatten, permute, transpose, matmul,
  },
});
