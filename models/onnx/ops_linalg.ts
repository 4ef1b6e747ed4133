/**
 * Matrix products: batched `matmul` with broadcasting and 2-D `gemm` (with transposes and a bias), the
 * op dense layers use because ORT fuses Gemm+Relu.
 *
 * @module
 */
import {
  apply,
  attr,
  broadcastShapes,
  emitAs,
  type OpDef,
  requireFloat,
  sameDType,
  type Tensor,
} from "./graph.ts";
import { sumToShape } from "./ops_reduce.ts";
import { transpose } from "./ops_shape.ts";

function swapLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return transpose(x, perm);
}

const MatMulOp: OpDef = {
  name: "MatMul",
  infer(inputs) {
    const [a, b] = inputs as [Tensor, Tensor];
    const dtype = sameDType(inputs);
    requireFloat(a);
    if (a.rank < 2 || b.rank < 2) {
      throw new Error("matmul needs operands of rank ≥ 2 (reshape vectors first)");
    }
    const [m, k] = a.shape.slice(-2) as [number, number];
    const [k2, n] = b.shape.slice(-2) as [number, number];
    if (k !== k2) throw new Error(`inner dimensions differ: ${a} @ ${b} (${k} vs ${k2})`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return { dtype, shape: [...batch, m, n] };
  },
  emit: emitAs("MatMul"),
  vjp(g, t) {
    const [a, b] = t.inputs as [Tensor, Tensor];
    return [sumToShape(matmul(g, swapLast(b)), a), sumToShape(matmul(swapLast(a), g), b)];
  },
};

/** Batched matrix product `a @ b` over the last two axes, broadcasting the leading ones. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return apply(MatMulOp, [a, b]);
}

const GemmOp: OpDef = {
  name: "Gemm",
  infer(inputs, attrs) {
    const [a, b, c] = inputs as [Tensor, Tensor, Tensor | undefined];
    const dtype = sameDType(inputs);
    requireFloat(a);
    if (a.rank !== 2 || b.rank !== 2) throw new Error("gemm needs 2-D operands");
    const [m, k] = attrs.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [k2, n] = attrs.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (k !== k2) {
      throw new Error(`inner dimensions differ: op(A) is [${m},${k}], op(B) is [${k2},${n}]`);
    }
    if (c) {
      const bc = broadcastShapes(c.shape, [m, n]);
      if (bc[0] !== m || bc[1] !== n) throw new Error(`bias ${c} does not broadcast to [${m},${n}]`);
    }
    return { dtype, shape: [m, n] };
  },
  emit(e, t, ins, out) {
    const attrs: Record<string, ReturnType<typeof attr.i>> = {};
    if (t.attrs.transA) attrs.transA = attr.i(1);
    if (t.attrs.transB) attrs.transB = attr.i(1);
    e.node("Gemm", ins, attrs, out);
  },
  vjp(g, t) {
    const [a, b, c] = t.inputs as [Tensor, Tensor, Tensor | undefined];
    const tA = t.attrs.transA as boolean;
    const tB = t.attrs.transB as boolean;
    // Y = op(A)·op(B) + C; each case is one gemm with transposes, no explicit Transpose node.
    const da = tA ? gemm(b, g, { transA: tB, transB: true }) : gemm(g, b, { transB: !tB });
    const db = tB ? gemm(g, a, { transA: true, transB: tA }) : gemm(a, g, { transA: !tA });
    return c ? [da, db, sumToShape(g, c)] : [da, db];
  },
};

/** Options of {@link gemm}. */
export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
}

/** `op(a) @ op(b) + c` for 2-D `a`, `b` (op = optional transpose); `c` broadcasts to the result. */
export function gemm(a: Tensor, b: Tensor, c?: Tensor | GemmOptions, opts: GemmOptions = {}): Tensor {
  const bias = c && "shape" in c ? c as Tensor : undefined;
  const o = bias ? opts : (c as GemmOptions | undefined) ?? opts;
  const attrs = { transA: o.transA ?? false, transB: o.transB ?? false };
  return apply(GemmOp, bias ? [a, b, bias] : [a, b], attrs);
}
