/**
 * The report fragments every identity of math-checks shows: its error against n, and against its float64
 * floor c·n·ε·κ (drawn as a line), plus the table of cases; and the floors' shared constants.
 *
 * @module
 */
import type { Fragment } from "../../stages/report/fragments.ts";

/** float64's machine epsilon, 2⁻⁵². */
export const EPS = 2 ** -52;

/** θ₁₃ of Higham's scaling and squaring (numerics/expm.ts): ‖A/2ˢ‖₁ ≤ θ₁₃ after s squarings. */
const THETA_13 = 5.371920351148152;

/**
 * An upper bound on the matrix products and solves expm performs on A: at most 6 for the degree-13 Padé
 * approximant, one solve, and s = ⌈log₂(‖A‖₁/θ₁₃)⌉ squarings. Each adds up to n·ε of backward error.
 */
export function expmSteps(normOne: number): number {
  return 7 + Math.max(0, Math.ceil(Math.log2(normOne / THETA_13)));
}

/** One checked case: its size, the condition number that sets its floor, the error and the floor. */
export interface ErrorCase {
  family: string;
  n: number;
  kappa: number;
  error: number;
  /** c·n·ε·κ: the first-order error bound, with the algorithm's constant c. */
  floor: number;
}

/** The largest error/floor ratio: ≤ 1 when every case is as accurate as float64 allows. */
export function worstRatio(cases: readonly ErrorCase[]): number {
  return Math.max(...cases.map((c) => c.error / c.floor));
}

function byFamily(cases: readonly ErrorCase[], x: (c: ErrorCase) => number) {
  const families = [...new Set(cases.map((c) => c.family))];
  return families.map((family) => {
    const mine = cases.filter((c) => c.family === family).sort((a, b) => x(a) - x(b));
    return { name: family, x: mine.map(x), y: mine.map((c) => c.error) };
  });
}

/** Error against n, and against n·κ with the floor line, for a set of cases. */
export function errorPlots(
  cases: readonly ErrorCase[],
  what: string,
  floorLabel = "floor c·n·ε·κ",
): Fragment[] {
  // The floor is c·n·ε·κ with a constant c per case; plotting against the floor's c·n·κ puts every case
  // under one line.
  const nk = cases.map((c) => c.floor / EPS);
  const lo = Math.min(...nk), hi = Math.max(...nk);
  const zeros = cases.filter((c) => c.error === 0).length;
  const note = zeros ? `; ${zeros} exact (error 0) not shown` : "";
  return [
    {
      kind: "line",
      series: byFamily(cases, (c) => c.n),
      options: {
        title: `${what}: error against n`,
        subtitle: `one random matrix per family and size${note}`,
        xLabel: "n",
        yLabel: "error",
        logX: true,
        logY: true,
        dots: true,
      },
    },
    {
      kind: "line",
      series: [
        ...byFamily(cases, (c) => c.floor / EPS),
        { name: floorLabel, x: [lo, hi], y: [EPS * lo, EPS * hi] },
      ],
      options: {
        title: `${what}: error against its float64 floor`,
        subtitle: `below the line = within the float64 floor${note}`,
        xLabel: "floor / ε",
        yLabel: "error",
        logX: true,
        logY: true,
        dots: true,
      },
    },
  ];
}

/** The cases as a table fragment. */
export function caseTable(cases: readonly ErrorCase[], caption: string, kappaLabel = "κ"): Fragment {
  return {
    kind: "table",
    caption,
    rows: cases.map((c) => ({
      family: c.family,
      n: c.n,
      kappa: c.kappa,
      error: c.error,
      floor: c.floor,
      ratio: c.error / c.floor,
    })),
    columns: [
      "family",
      "n",
      { key: "kappa", label: kappaLabel, significant: 3 },
      { key: "error", significant: 3 },
      { key: "floor", label: "floor", significant: 3 },
      { key: "ratio", label: "error / floor", significant: 2 },
    ],
  };
}
