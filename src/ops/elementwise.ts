/**
 * @file Every elementwise op from one table each: unary (name → JS, WGSL, derivative),
 * binary with NumPy broadcasting (the derivative is taken at the broadcast shape, then
 * summed back to each operand's shape), comparisons (→ bool), `where`, `cast`, `detach`.
 * NaN propagates through every float op as in the JS expression, which is the spec.
 */
import { checkDType, isFloat, requireFloat, type DType, type TypedArray } from "../dtype.ts";
import { DTypeError } from "../errors.ts";
import { broadcastShapes, broadcastStrides, stridesOf } from "../shape.ts";
import { apply1, filled } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { GpuArgs, KernelCall, OpDef, ValueInfo } from "./types.ts";
import { stridedCall } from "./strided_kernels.ts";
import { wgslType } from "./wgsl.ts";
import { broadcast2, broadcast3 } from "./broadcast_loop.ts";
import { sumTo } from "./sum.ts";

type Operand = Tensor | number;

// ---- unary ---------------------------------------------------------------------------------
export type UnaryName = "neg" | "exp" | "log" | "sqrt" | "abs" | "sign" | "relu" | "tanh" | "sigmoid" | "softplus";

interface UnaryRule {
  js: (x: number) => number;
  /** WGSL expression in `x` (f32), for the WebGPU backend's generated kernel. */
  wgsl: string;
  /** Also defined on int32. */
  int?: boolean;
  /** Cotangent of x given x, y = f(x) and dy; null where the derivative is zero. */
  grad: (x: Tensor, y: Tensor, dy: Tensor) => Tensor | null;
}

const UNARY: Record<UnaryName, UnaryRule> = {
  // d(-x) = -dx
  neg: { js: (x) => -x, wgsl: "-x", int: true, grad: (_x, _y, dy) => neg(dy) },
  // d exp x = exp x
  exp: { js: Math.exp, wgsl: "exp(x)", grad: (_x, y, dy) => mul(dy, y) },
  // d log x = 1/x
  log: { js: Math.log, wgsl: "log_js(x)", grad: (x, _y, dy) => div(dy, x) },
  // d √x = 1/(2√x)
  sqrt: { js: Math.sqrt, wgsl: "sqrt_js(x)", grad: (_x, y, dy) => div(dy, mul(y, 2)) },
  // d|x| = sign x (0 at 0, as PyTorch)
  abs: { js: Math.abs, wgsl: "abs(x)", int: true, grad: (x, _y, dy) => mul(dy, sign(x)) },
  // sign is flat almost everywhere
  sign: { js: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x), wgsl: "sign(x)", int: true, grad: () => null },
  // d relu = 1 where x > 0, else 0 (0 at 0, as PyTorch); NaN stays NaN. Read from the output
  // (y > 0 ⇔ x > 0) so the pre-activation has one reader and matmul+bias+relu can fuse.
  relu: { js: (x) => (x > 0 || x !== x ? x : 0), wgsl: "select(0.0, x, x > 0.0 || is_nan(x))", grad: (_x, y, dy) => reluBackward(dy, y) },
  // d tanh = 1 − tanh²
  tanh: { js: Math.tanh, wgsl: "tanh(x)", grad: (_x, y, dy) => mul(dy, sub(1, mul(y, y))) },
  // d σ = σ(1 − σ)
  sigmoid: { js: (x) => 1 / (1 + Math.exp(-x)), wgsl: "1.0 / (1.0 + exp(-x))", grad: (_x, y, dy) => mul(dy, mul(y, sub(1, y))) },
  // softplus x = log(1 + eˣ), written max(x, 0) + log(1 + e^−|x|) so that it never overflows;
  // d softplus = σ(x)
  softplus: { js: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), wgsl: "max(x, 0.0) + log(1.0 + exp(-abs(x)))", grad: (x, _y, dy) => mul(dy, sigmoid(x)) },
};

/** The WGSL expression of a unary op in `x` (f32), for shaders that take it as a token (lib/act). */
export function unaryWgsl(name: UnaryName): string {
  return UNARY[name].wgsl;
}

/** The JS expression of a unary op (the CPU reference), reused by fusions. */
export function unaryJs(name: UnaryName): (x: number) => number {
  return UNARY[name].js;
}

function unaryDef(name: UnaryName): OpDef<Record<string, never>> {
  const rule = UNARY[name];
  return {
    name,
    infer: ([x]) => {
      if (!rule.int || x.dtype === "bool") requireFloat(name, "input", x.dtype);
      return [{ shape: x.shape, dtype: x.dtype }];
    },
    cpu: ({ inputs: [x], outputs: [y] }) => {
      const f = rule.js;
      for (let i = 0; i < y.length; i++) y[i] = f(x[i]);
    },
    grad: ({ inputs: [x], outputs: [y], dys: [dy] }) => [rule.grad(x, y, dy)],
    webgpu: ({ inShapes: [xs], inDtypes: [dt] }) => {
      const t = wgslType(dt, name);
      // WGSL builtins may return anything for NaN (SwiftShader's exp gives ∞): NaN in, NaN out
      const op = t === "f32" ? `select(${rule.wgsl}, x, is_nan(x))` : rule.wgsl;
      return { calls: [stridedCall(name, "strided_map1", xs, [{ type: t, strides: stridesOf(xs) }], { T0: t, TOUT: t, OP: op })] };
    },
  };
}

export const UNARY_DEFS = Object.fromEntries(
  (Object.keys(UNARY) as UnaryName[]).map((n) => [n, unaryDef(n)]),
) as Record<UnaryName, OpDef>;

// ---- binary (broadcasting) -----------------------------------------------------------------
export type BinaryName = "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "reluBackward";

interface BinaryRule {
  js: (a: number, b: number) => number;
  wgsl: string;
  int?: boolean;
  /** Cotangents at the broadcast shape; the op sums them back to each operand's shape. */
  grad: (a: Tensor, b: Tensor, y: Tensor, dy: Tensor) => [Tensor | null, Tensor | null];
}

const BINARY: Record<BinaryName, BinaryRule> = {
  // relu's gradient in one kernel: dy where relu's output y > 0, else 0 (a NaN y gives 0)
  reluBackward: { js: (dy, y) => (y > 0 ? dy : 0), wgsl: "select(0.0, a, b > 0.0)", grad: (_dy, y, _out, ddy) => [reluBackward(ddy, y), null] },
  add: { js: (a, b) => a + b, wgsl: "a + b", int: true, grad: (_a, _b, _y, dy) => [dy, dy] },
  sub: { js: (a, b) => a - b, wgsl: "a - b", int: true, grad: (_a, _b, _y, dy) => [dy, neg(dy)] },
  mul: { js: (a, b) => a * b, wgsl: "a * b", int: true, grad: (a, b, _y, dy) => [mul(dy, b), mul(dy, a)] },
  // d(a/b) = da/b − a·db/b² = da/b − y·db/b
  div: { js: (a, b) => a / b, wgsl: "a / b", grad: (_a, b, y, dy) => [div(dy, b), neg(div(mul(dy, y), b))] },
  // d aᵇ = b·aᵇ⁻¹ da + aᵇ·ln a db
  pow: { js: Math.pow, wgsl: "pow_js(a, b)", grad: (a, b, y, dy) => [mul(dy, mul(b, pow(a, sub(b, 1)))), mul(dy, mul(y, log(a)))] },
  // the larger operand takes dy; a tie splits it in half (as PyTorch)
  maximum: {
    js: (a, b) => (a > b || a !== a ? a : b), wgsl: "select(b, a, a > b || is_nan_any(a))", int: true,
    grad: (a, b, _y, dy) => {
      const share = add(cast(greater(a, b), dy.dtype), mul(cast(equal(a, b), dy.dtype), 0.5));
      return [mul(dy, share), mul(dy, sub(1, share))];
    },
  },
};

type Flat = (a: ArrayLike<number>, b: ArrayLike<number>, out: TypedArray) => void;

/**
 * Same-shape loops for the commonest ops with the operator written out: the shared
 * `broadcast2` loop calls a different `rule.js` per op, a call V8 cannot inline.
 */
const FLAT: Partial<Record<BinaryName, Flat>> = {
  add: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i]; },
  sub: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] - b[i]; },
  mul: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i]; },
};

function binaryInfer(op: string, a: ValueInfo, b: ValueInfo, allowInt: boolean): DType {
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`${op}: operand dtypes differ (${a.dtype} and ${b.dtype}); cast one with .cast()`);
  }
  if (!allowInt || a.dtype === "bool") requireFloat(op, "operand", a.dtype);
  return a.dtype;
}

function binaryDef(name: BinaryName): OpDef<Record<string, never>> {
  const rule = BINARY[name];
  return {
    name,
    infer: ([a, b]) => [{ shape: broadcastShapes(name, a.shape, b.shape), dtype: binaryInfer(name, a, b, !!rule.int) }],
    cpu: ({ inputs: [a, b], outputs: [y], inShapes, outShapes }) => {
      const flat = FLAT[name];
      if (flat && a.length === y.length && b.length === y.length) flat(a, b, y);
      else broadcast2(a, inShapes[0], b, inShapes[1], y, outShapes[0], rule.js);
    },
    grad: ({ inputs: [a, b], outputs: [y], dys: [dy] }) => {
      const [ga, gb] = rule.grad(a, b, y, dy);
      return [ga && sumTo(ga, a.shape), gb && sumTo(gb, b.shape)];
    },
    // is_nan_any: a NaN test for the operand type (integers are never NaN)
    webgpu: (g) => ({ calls: [broadcastCall(name, g, "strided_map2", { TOUT: wgslType(g.inDtypes[0], name), OP: rule.wgsl })] }),
  };
}

export const BINARY_DEFS = Object.fromEntries(
  (Object.keys(BINARY) as BinaryName[]).map((n) => [n, binaryDef(n)]),
) as Record<BinaryName, OpDef>;

// ---- comparisons (→ bool, no gradient) -----------------------------------------------------
export type CompareName = "greater" | "greaterEqual" | "less" | "lessEqual" | "equal" | "notEqual";

const COMPARE: Record<CompareName, { js: (a: number, b: number) => boolean; wgsl: string }> = {
  greater: { js: (a, b) => a > b, wgsl: "a > b" },
  greaterEqual: { js: (a, b) => a >= b, wgsl: "a >= b" },
  less: { js: (a, b) => a < b, wgsl: "a < b" },
  lessEqual: { js: (a, b) => a <= b, wgsl: "a <= b" },
  equal: { js: (a, b) => a === b, wgsl: "a == b" },
  notEqual: { js: (a, b) => a !== b, wgsl: "a != b" },
};

function compareDef(name: CompareName): OpDef<Record<string, never>> {
  const f = COMPARE[name].js;
  return {
    name,
    infer: ([a, b]) => {
      binaryInfer(name, a, b, true);
      return [{ shape: broadcastShapes(name, a.shape, b.shape), dtype: "bool" }];
    },
    cpu: ({ inputs: [a, b], outputs: [y], inShapes, outShapes }) =>
      broadcast2(a, inShapes[0], b, inShapes[1], y, outShapes[0], (x, z) => (f(x, z) ? 1 : 0)),
    webgpu: (g) => ({ calls: [broadcastCall(name, g, "strided_map2", { TOUT: "u32", OP: `select(0u, 1u, ${COMPARE[name].wgsl})` })] }),
  };
}

export const COMPARE_DEFS = Object.fromEntries(
  (Object.keys(COMPARE) as CompareName[]).map((n) => [n, compareDef(n)]),
) as Record<CompareName, OpDef>;

// ---- where, cast, detach -------------------------------------------------------------------
/** where(cond, a, b): a where cond is true, else b; all three broadcast. */
export const whereDef: OpDef<Record<string, never>> = {
  name: "where",
  infer: ([c, a, b]) => {
    if (c.dtype !== "bool") throw new DTypeError(`where: condition has dtype ${c.dtype}, expected bool (compare with .gt() etc.)`);
    const dtype = binaryInfer("where", a, b, true);
    return [{ shape: broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape), dtype }];
  },
  cpu: ({ inputs: [c, a, b], outputs: [y], inShapes, outShapes }) =>
    broadcast3(c, inShapes[0], a, inShapes[1], b, inShapes[2], y, outShapes[0], (k, x, z) => (k ? x : z)),
  // d where(c, a, b) = where(c, da, 0) + where(c, 0, db)
  grad: ({ inputs: [c, a, b], dys: [dy] }) => [null, sumTo(where(c, dy, 0), a.shape), sumTo(where(c, 0, dy), b.shape)],
  webgpu: (g) => ({ calls: [broadcastCall("where", g, "strided_where", { T: wgslType(g.outDtypes[0], "where") })] }),
};

/** float → int truncates toward zero; anything → bool is `x != 0`; bool → number is 0/1. */
export const castDef: OpDef<{ dtype: DType }> = {
  name: "cast",
  infer: ([x], { dtype }) => {
    checkDType("cast", dtype);
    return [{ shape: x.shape, dtype }];
  },
  cpu: ({ inputs: [x], outputs: [y], outShapes: _s, attrs }) => {
    if (attrs.dtype === "bool") for (let i = 0; i < y.length; i++) y[i] = x[i] !== 0 ? 1 : 0;
    else if (attrs.dtype === "int32") for (let i = 0; i < y.length; i++) y[i] = Math.trunc(x[i]);
    else y.set(x);
  },
  // between float types the cotangent is cast back; integers take none
  grad: ({ inputs: [x], dys: [dy] }) => [isFloat(x.dtype) ? cast(dy, x.dtype) : null],
  webgpu: (g) => {
    const from = wgslType(g.inDtypes[0], "cast");
    const to = wgslType(g.outDtypes[0], "cast");
    const op = g.outDtypes[0] === "bool" ? `select(0u, 1u, x != ${from}(0))` : `${to}(x)`;
    return { calls: [broadcastCall("cast", g, "strided_map1", { T0: from, TOUT: to, OP: op })] };
  },
};

/** Identity on values, a wall for gradients. */
export const detachDef: OpDef<Record<string, never>> = {
  name: "detach",
  infer: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
  cpu: ({ inputs: [x], outputs: [y] }) => y.set(x),
  grad: () => [null],
  webgpu: (g) => {
    const t = wgslType(g.outDtypes[0], "detach");
    return { calls: [broadcastCall("detach", g, "strided_map1", { T0: t, TOUT: t, OP: "x" })] };
  },
};

/**
 * A broadcasting kernel over all of a step's inputs (shaders/strided_*.wgsl). The two-input
 * shader also gets the operands' type and is_nan_any's body for it (integers are never NaN).
 */
function broadcastCall(name: string, g: GpuArgs<unknown>, shader: "strided_map1" | "strided_map2" | "strided_where", tokens: Record<string, string>): KernelCall {
  const out = g.outShapes[0];
  const inputs = g.inShapes.map((s, k) => ({ type: wgslType(g.inDtypes[k], name), strides: broadcastStrides(s, out) }));
  const t = inputs[0].type;
  const extra: Record<string, string> = shader === "strided_map2" ? { T0: t, ISNAN: t === "f32" ? "is_nan(x)" : "false" } : {};
  return stridedCall(name, shader, out, inputs, { ...tokens, ...extra });
}

// ---- builders ------------------------------------------------------------------------------
/** A JS number becomes a 0-d constant of the other operand's dtype. */
function operands(op: string, a: Operand, b: Operand): [Tensor, Tensor] {
  if (typeof a === "number" && typeof b === "number") throw new DTypeError(`${op}: at least one operand must be a Tensor`);
  const like = (typeof a === "number" ? b : a) as Tensor;
  return [typeof a === "number" ? filled(a, [], like.dtype) : a, typeof b === "number" ? filled(b, [], like.dtype) : b];
}

const un = (name: UnaryName) => (x: Tensor): Tensor => apply1(UNARY_DEFS[name], [x]);
const bin = (def: () => OpDef) => (a: Operand, b: Operand): Tensor => apply1(def(), operands(def().name, a, b));

export const neg = un("neg");
export const exp = un("exp");
export const log = un("log");
export const sqrt = un("sqrt");
export const abs = un("abs");
export const sign = un("sign");
export const relu = un("relu");
export const tanh = un("tanh");
export const sigmoid = un("sigmoid");
export const softplus = un("softplus");
export const add = bin(() => BINARY_DEFS.add);
export const sub = bin(() => BINARY_DEFS.sub);
export const mul = bin(() => BINARY_DEFS.mul);
export const div = bin(() => BINARY_DEFS.div);
export const pow = bin(() => BINARY_DEFS.pow);
export const maximum = bin(() => BINARY_DEFS.maximum);
/** dy where y > 0, else 0: relu's gradient given its output y (one kernel instead of greater + where). */
export const reluBackward = bin(() => BINARY_DEFS.reluBackward);
export const greater = bin(() => COMPARE_DEFS.greater);
export const greaterEqual = bin(() => COMPARE_DEFS.greaterEqual);
export const less = bin(() => COMPARE_DEFS.less);
export const lessEqual = bin(() => COMPARE_DEFS.lessEqual);
export const equal = bin(() => COMPARE_DEFS.equal);
export const notEqual = bin(() => COMPARE_DEFS.notEqual);

/** Elementwise minimum: −max(−a, −b). */
export function minimum(a: Operand, b: Operand): Tensor {
  const [x, y] = operands("minimum", a, b);
  return neg(maximum(neg(x), neg(y)));
}

export function square(x: Tensor): Tensor {
  return mul(x, x);
}

/**
 * Picks `a` where `cond` (bool) is true, else `b`. A number takes the other operand's dtype,
 * float32 when both are numbers.
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const [x, y] = typeof a === "number" && typeof b === "number" ? [filled(a, [], "float32"), filled(b, [], "float32")] : operands("where", a, b);
  return apply1(whereDef, [cond, x, y]);
}

export function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : apply1(castDef, [x], { dtype });
}

export function detach(x: Tensor): Tensor {
  return apply1(detachDef, [x]);
}
