/**
 * Elementwise ops with numpy broadcasting: arithmetic, activations, comparisons, `where`, casts and
 * `stopGradient`. Each op's shape rule, ONNX emission and vector-Jacobian rule sit together.
 *
 * Gradients of broadcast operands are summed back to the operand's shape ({@link sumToShape}).
 * Masks in gradients are emitted as `Mul(g, Cast(Greater(x, 0)))`, not `Where`, which measured 2× faster
 * (onnx-training.md §4).
 *
 * @module
 */
import { type DType, ONNX_DTYPE } from "./dtype.ts";
import {
  apply,
  attr,
  broadcastShapes,
  emitAs,
  isConstant,
  lift,
  type OpDef,
  requireFloat,
  sameDType,
  scalar,
  type Tensor,
  type TensorLike,
} from "./graph.ts";
import { sumToShape } from "./ops_reduce.ts";

// ---------------------------------------------------------------------------------------------
// Op-definition helpers

function binaryFloatOrInt(inputs: readonly Tensor[]) {
  const dtype = sameDType(inputs);
  if (dtype === "bool") throw new Error("arithmetic on bool tensors; cast them first");
  return { dtype, shape: broadcastShapes(inputs[0]!.shape, inputs[1]!.shape) };
}

function unaryFloat(inputs: readonly Tensor[]) {
  requireFloat(inputs[0]!);
  return { dtype: inputs[0]!.dtype, shape: inputs[0]!.shape };
}

function binary(name: string, vjp?: OpDef["vjp"]): OpDef {
  return { name, infer: binaryFloatOrInt, emit: emitAs(name), ...(vjp ? { vjp } : {}) };
}

function unary(name: string, vjp: NonNullable<OpDef["vjp"]>, emit: OpDef["emit"] = emitAs(name)): OpDef {
  return { name, infer: unaryFloat, emit, vjp };
}

/** Host-side folding of scalar constants, so `sub(b, 1)` on a constant exponent stays a constant. */
function foldScalars(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor | null {
  if (!isConstant(a) || !isConstant(b) || a.size !== 1 || b.size !== 1 || a.rank > 0 || b.rank > 0) {
    return null;
  }
  if (a.dtype !== b.dtype || (a.dtype !== "float32" && a.dtype !== "float64")) return null;
  return scalar(f(Number(a.data![0]), Number(b.data![0])), a.dtype);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

const AddOp: OpDef = binary("Add", (g, t) => [sumToShape(g, t.inputs[0]!), sumToShape(g, t.inputs[1]!)]);
const SubOp: OpDef = binary("Sub", (g, t) => [sumToShape(g, t.inputs[0]!), sumToShape(neg(g), t.inputs[1]!)]);
const MulOp: OpDef = binary("Mul", (g, t) => {
  const [a, b] = t.inputs as [Tensor, Tensor];
  return [sumToShape(mul(g, b), a), sumToShape(mul(g, a), b)];
});
const DivOp: OpDef = binary("Div", (g, t) => {
  const [a, b] = t.inputs as [Tensor, Tensor];
  // d(a/b)/db = -(a/b)/b
  return [sumToShape(div(g, b), a), sumToShape(neg(div(mul(g, t), b)), b)];
});
const PowOp: OpDef = {
  name: "Pow",
  infer(inputs) {
    requireFloat(inputs[0]!, "base");
    return binaryFloatOrInt(inputs);
  },
  emit: emitAs("Pow"),
  vjp(g, t) {
    const [a, b] = t.inputs as [Tensor, Tensor];
    const da = sumToShape(mul(g, mul(b, pow(a, sub(b, 1)))), a);
    // The exponent's gradient is only built when the exponent is on the path (autodiff prunes the rest).
    const db = isConstant(b) ? null : sumToShape(mul(g, mul(t, log(a))), b);
    return [da, db];
  },
};
const MaxOp: OpDef = binary("Max", (g, t) => {
  const [a, b] = t.inputs as [Tensor, Tensor];
  const m = mask(greaterEqual(a, b), g.dtype); // ties go to the first operand
  const ga = mul(g, m);
  return [sumToShape(ga, a), sumToShape(sub(g, ga), b)];
});
const MinOp: OpDef = binary("Min", (g, t) => {
  const [a, b] = t.inputs as [Tensor, Tensor];
  const m = mask(lessEqual(a, b), g.dtype);
  const ga = mul(g, m);
  return [sumToShape(ga, a), sumToShape(sub(g, ga), b)];
});

/** `a + b` with broadcasting. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(a, b);
  return foldScalars(x, y, (p, q) => p + q) ?? apply(AddOp, [x, y]);
}
/** `a - b` with broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(a, b);
  return foldScalars(x, y, (p, q) => p - q) ?? apply(SubOp, [x, y]);
}
/** `a * b` with broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(a, b);
  return foldScalars(x, y, (p, q) => p * q) ?? apply(MulOp, [x, y]);
}
/** `a / b` with broadcasting. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(a, b);
  return foldScalars(x, y, (p, q) => p / q) ?? apply(DivOp, [x, y]);
}
/** `a ** b` (float base) with broadcasting. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(a, b);
  return foldScalars(x, y, (p, q) => p ** q) ?? apply(PowOp, [x, y]);
}
/** Elementwise maximum; the gradient goes to `a` on ties. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return apply(MaxOp, operands(a, b));
}
/** Elementwise minimum; the gradient goes to `a` on ties. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return apply(MinOp, operands(a, b));
}

function operands(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === "number" && typeof b === "number") {
    throw new Error("elementwise op on two plain numbers; make one of them a tensor");
  }
  const x = typeof a === "number" ? lift(a, b as Tensor) : a;
  const y = typeof b === "number" ? lift(b, x) : b;
  return [x, y];
}

// ---------------------------------------------------------------------------------------------
// Unary math and activations

const NegOp = unary("Neg", (g) => [neg(g)]);
const ExpOp = unary("Exp", (g, t) => [mul(g, t)]);
const LogOp = unary("Log", (g, t) => [div(g, t.inputs[0]!)]);
const SqrtOp = unary("Sqrt", (g, t) => [div(mul(g, 0.5), t)]);
const AbsOp = unary("Abs", (g, t) => [mul(g, sign(t.inputs[0]!))]);
const TanhOp = unary("Tanh", (g, t) => [mul(g, sub(1, mul(t, t)))]);
const SigmoidOp = unary("Sigmoid", (g, t) => [mul(g, mul(t, sub(1, t)))]);
const SinOp = unary("Sin", (g, t) => [mul(g, cos(t.inputs[0]!))]);
const CosOp = unary("Cos", (g, t) => [neg(mul(g, sin(t.inputs[0]!)))]);
const ReluOp = unary("Relu", (g, t) => [mul(g, mask(greater(t.inputs[0]!, 0), g.dtype))]);
const SignOp = unary("Sign", () => [null]);

/** Softplus; ORT has no float64 kernel, so float64 graphs get the stable form relu(x) + log1p(exp(-|x|)). */
const SoftplusOp = unary("Softplus", (g, t) => [mul(g, sigmoid(t.inputs[0]!))], (e, t, ins, out) => {
  if (t.dtype === "float32") {
    e.node("Softplus", ins, {}, out);
    return;
  }
  const one = e.constant(new Float64Array([1]), "float64", []);
  const negAbs = e.node("Neg", [e.node("Abs", ins)]);
  const log1p = e.node("Log", [e.node("Add", [e.node("Exp", [negAbs]), one])]);
  e.node("Add", [e.node("Relu", ins), log1p], {}, out);
});

const LeakyReluOp: OpDef = {
  name: "LeakyRelu",
  infer: unaryFloat,
  emit: (e, t, ins, out) => void e.node("LeakyRelu", ins, { alpha: attr.f(t.attrs.alpha as number) }, out),
  vjp(g, t) {
    const x = t.inputs[0]!;
    const alpha = t.attrs.alpha as number;
    // slope = 1 where x > 0, alpha elsewhere. For 0 ≤ alpha < 1, Clip(x·1e30, alpha, 1) computes it in two
    // vectorised ops (x·1e30 saturates to ±inf, which Clip maps to the bounds; ORT's Sign is a slow
    // scalar loop and Where measured 2× slower, onnx-training.md §4). Only |x| < 1e-30 gets a
    // slope in between, a set that float32 activations essentially never hit.
    const slope = alpha >= 0 && alpha < 1
      ? clip(mul(x, 1e30), alpha, 1)
      : add(alpha, mul(mask(greater(x, 0), g.dtype), 1 - alpha));
    return [mul(g, stopGradient(slope))];
  },
};

/** ELU; lowered to `Where(x > 0, x, alpha·(exp(x) − 1))` in float64 graphs (no ORT f64 kernel). */
const EluOp: OpDef = {
  name: "Elu",
  infer: unaryFloat,
  emit(e, t, ins, out) {
    const alpha = t.attrs.alpha as number;
    if (t.dtype === "float32") {
      e.node("Elu", ins, { alpha: attr.f(alpha) }, out);
      return;
    }
    const c = (v: number) => e.constant(new Float64Array([v]), "float64", []);
    const neg = e.node("Mul", [e.node("Sub", [e.node("Exp", ins), c(1)]), c(alpha)]);
    e.node("Where", [e.node("Greater", [ins[0]!, c(0)]), ins[0]!, neg], {}, out);
  },
  vjp(g, t) {
    // d/dx = 1 for x > 0, y + alpha elsewhere; y keeps its dependence on x for second order.
    const m = mask(greater(t.inputs[0]!, 0), g.dtype);
    const slope = add(m, mul(sub(1, m), add(t, t.attrs.alpha as number)));
    return [mul(g, slope)];
  },
};

/** `-x`. */
export const neg = (x: Tensor): Tensor => apply(NegOp, [x]);
/** `exp(x)`. */
export const exp = (x: Tensor): Tensor => apply(ExpOp, [x]);
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => apply(LogOp, [x]);
/** Square root. */
export const sqrt = (x: Tensor): Tensor => apply(SqrtOp, [x]);
/** `|x|`; its gradient at 0 is 0. */
export const abs = (x: Tensor): Tensor => apply(AbsOp, [x]);
/** `x * x`. */
export const square = (x: Tensor): Tensor => mul(x, x);
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => apply(TanhOp, [x]);
/** Logistic sigmoid. */
export const sigmoid = (x: Tensor): Tensor => apply(SigmoidOp, [x]);
/** `log(1 + exp(x))`. */
export const softplus = (x: Tensor): Tensor => apply(SoftplusOp, [x]);
/** `max(x, 0)`. */
export const relu = (x: Tensor): Tensor => apply(ReluOp, [x]);
/** `x` for x > 0, `alpha·x` elsewhere. */
export const leakyRelu = (x: Tensor, alpha = 0.01): Tensor =>
  // The ONNX attribute is a float32: store the rounded value so the gradient rule uses the same slope.
  apply(LeakyReluOp, [x], { alpha: Math.fround(alpha) });
/** `x` for x > 0, `alpha·(exp(x) − 1)` elsewhere. */
export const elu = (x: Tensor, alpha = 1): Tensor => apply(EluOp, [x], { alpha: Math.fround(alpha) });
/** Sine. */
export const sin = (x: Tensor): Tensor => apply(SinOp, [x]);
/** Cosine. */
export const cos = (x: Tensor): Tensor => apply(CosOp, [x]);
/** Sign (−1, 0, 1); no gradient. */
export const sign = (x: Tensor): Tensor => apply(SignOp, [x]);
const ClipOp: OpDef = {
  name: "Clip",
  infer: unaryFloat,
  emit(e, t, ins, out) {
    const c = (v: number) =>
      t.dtype === "float64"
        ? e.constant(new Float64Array([v]), "float64", [])
        : e.constant(new Float32Array([v]), "float32", []);
    e.node("Clip", [ins[0]!, c(t.attrs.lo as number), c(t.attrs.hi as number)], {}, out);
  },
  vjp(g, t) {
    const x = t.inputs[0]!;
    const inside = logicalAnd(greaterEqual(x, t.attrs.lo as number), lessEqual(x, t.attrs.hi as number));
    return [mul(g, mask(inside, g.dtype))];
  },
};

/**
 * Clamps `x` into [lo, hi]; the gradient is passed where lo ≤ x ≤ hi. Number bounds give one ONNX Clip;
 * tensor bounds (which get gradients too) give Max and Min.
 */
export function clip(x: Tensor, lo: TensorLike, hi: TensorLike): Tensor {
  if (typeof lo === "number" && typeof hi === "number") {
    const [l, h] = x.dtype === "float32" ? [Math.fround(lo), Math.fround(hi)] : [lo, hi];
    return apply(ClipOp, [x], { lo: l, hi: h });
  }
  return minimum(maximum(x, lo), hi);
}

// ---------------------------------------------------------------------------------------------
// Comparisons, logic, where, cast, stop_gradient

function comparison(name: string): OpDef {
  return {
    name,
    infer(inputs) {
      sameDType(inputs);
      return { dtype: "bool", shape: broadcastShapes(inputs[0]!.shape, inputs[1]!.shape) };
    },
    emit: emitAs(name),
  };
}
const GreaterOp = comparison("Greater");
const LessOp = comparison("Less");
const GreaterEqualOp = comparison("GreaterOrEqual");
const LessEqualOp = comparison("LessOrEqual");
const EqualOp = comparison("Equal");

function logic(name: string): OpDef {
  return {
    name,
    infer(inputs) {
      for (const t of inputs) if (t.dtype !== "bool") throw new Error(`${name} needs bool inputs, got ${t}`);
      return {
        dtype: "bool",
        shape: inputs.length === 1 ? inputs[0]!.shape : broadcastShapes(inputs[0]!.shape, inputs[1]!.shape),
      };
    },
    emit: emitAs(name),
  };
}
const AndOp = logic("And");
const OrOp = logic("Or");
const NotOp = logic("Not");

/** `a > b` (bool). */
export const greater = (a: TensorLike, b: TensorLike): Tensor => apply(GreaterOp, operands(a, b));
/** `a < b` (bool). */
export const less = (a: TensorLike, b: TensorLike): Tensor => apply(LessOp, operands(a, b));
/** `a >= b` (bool). */
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => apply(GreaterEqualOp, operands(a, b));
/** `a <= b` (bool). */
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => apply(LessEqualOp, operands(a, b));
/** `a == b` (bool). */
export const equal = (a: TensorLike, b: TensorLike): Tensor => apply(EqualOp, operands(a, b));
/** Logical and of bool tensors. */
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => apply(AndOp, [a, b]);
/** Logical or of bool tensors. */
export const logicalOr = (a: Tensor, b: Tensor): Tensor => apply(OrOp, [a, b]);
/** Logical not of a bool tensor. */
export const logicalNot = (a: Tensor): Tensor => apply(NotOp, [a]);

const WhereOp: OpDef = {
  name: "Where",
  infer(inputs) {
    const [c, a, b] = inputs as [Tensor, Tensor, Tensor];
    if (c.dtype !== "bool") throw new Error(`the condition must be bool, got ${c}`);
    const dtype = sameDType([a, b]);
    return { dtype, shape: broadcastShapes(c.shape, broadcastShapes(a.shape, b.shape)) };
  },
  emit: emitAs("Where"),
  vjp(g, t) {
    const [c, a, b] = t.inputs as [Tensor, Tensor, Tensor];
    const zero = scalar(0, g.dtype);
    return [null, sumToShape(where(c, g, zero), a), sumToShape(where(c, zero, g), b)];
  },
};

/** `cond ? a : b` elementwise, with broadcasting. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(a, b);
  return apply(WhereOp, [cond, x, y]);
}

const CastOp: OpDef = {
  name: "Cast",
  infer(inputs, attrs) {
    return { dtype: attrs.to as DType, shape: inputs[0]!.shape };
  },
  emit(e, t, ins, out) {
    e.node("Cast", ins, { to: attr.i(ONNX_DTYPE[t.dtype]) }, out);
  },
  vjp(g, t) {
    const from = t.inputs[0]!.dtype;
    return [from === "float32" || from === "float64" ? cast(g, from) : null];
  },
};

/** Converts to `dtype` (returns `x` itself when it already has that dtype). */
export function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : apply(CastOp, [x], { to: dtype });
}

/** A 0/1 float mask from a bool tensor: the cheap way to gate gradients. */
export function mask(cond: Tensor, dtype: DType): Tensor {
  return cast(cond, dtype);
}

const StopGradientOp: OpDef = {
  name: "StopGradient",
  infer: (inputs) => ({ dtype: inputs[0]!.dtype, shape: inputs[0]!.shape }),
  emit: emitAs("Identity"),
  vjp: () => [null],
  alias: true,
};

/** The same value, but no gradient flows through it (emits no ONNX node). */
export function stopGradient(x: Tensor): Tensor {
  return apply(StopGradientOp, [x]);
}
