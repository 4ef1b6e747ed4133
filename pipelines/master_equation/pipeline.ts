/**
 * «从马尔科夫过程到主方程（推导过程）» (kexue.fm/archives/4598): the master equation of the reaction
 * networks of the Gillespie article, from the same network definition that drives the simulation
 * (pipelines/gillespie/network.ts): birth–death against its exact Poisson answers, two-stage gene
 * expression over time against simulated trajectories, and against gillespie's own stationary solver.
 *
 * ```
 *   birth-death ─────────────────────┐
 *   two-stage ──┬─► compare ─────────┼─► report
 *   simulate ───┤                    │
 *   exact ──────┘ (gillespie.exact)  │
 * ```
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { exact } from "../gillespie/exact.ts";
import { birthDeath } from "./birth_death.ts";
import { compare } from "./compare.ts";
import { simulate } from "./simulate.ts";
import { twoStage } from "./two_stage.ts";

const m = (stage: string, metric: string) => ({ stage, metric });

export const pipeline = numericChecksPipeline({
  name: "master-equation",
  description:
    "The chemical master equation from the Gillespie model's reactions: Poisson, transients, simulation",
  article: {
    title: "从马尔科夫过程到主方程（推导过程）",
    url: "https://kexue.fm/archives/4598",
    date: "2017-10-06",
  },
  title: "The master equation behind the Gillespie simulation",
  summary:
    "The article derives the master equation dP(x, t)/dt = Σ_r a_r(x − ν_r)P(x − ν_r, t) − Σ_r a_r(x)P(x, t) " +
    "from the Chapman–Kolmogorov equation of a Markov process. We state the Gillespie article's reactions once and " +
    "read them both ways: as a stochastic simulation and as this master equation, solved on a truncated state space " +
    "with a bound on what the truncation loses. The birth–death process has exact answers (Poisson at stationarity " +
    "and over time); for two-stage gene expression the simulated histograms must differ from the master equation's " +
    "distribution only by sampling noise, shrinking like 1/√(trajectories).",
  stages: () => ({
    "birth-death": use(birthDeath),
    "two-stage": use(twoStage),
    simulate: use(simulate),
    exact: use(exact),
    compare: use(compare, { inputs: { solution: "two-stage", simulation: "simulate", exact: "exact" } }),
  }),
  headline: {
    stage: "compare",
    metric: "tv_slope",
    label: "slope of TV in the number of trajectories (−0.5)",
  },
  claims: [
    {
      id: "stationary-poisson",
      claim: "The stationary birth–death distribution is Poisson(k/γ).",
      ours: m("birth-death", "stationary_max_error"),
      reference: { value: 1e-12, source: "the issue's tolerance; the float64 floor of the solve is ~1e-15" },
      check: { kind: "at-most" },
    },
    {
      id: "transient-poisson",
      claim:
        "From no molecules, P(m, t) is Poisson((k/γ)(1 − e^{−γt})) at every time, within the solver's error bound.",
      ours: m("birth-death", "transient_error_over_bound"),
      reference: {
        value: 1,
        source: "largest error over its bound (2 × lost mass + steps × ε) across the times",
      },
      check: { kind: "at-most" },
    },
    {
      id: "truncation",
      claim:
        "The truncated two-stage master equation loses a negligible share of the probability (≤ 1e-10) by t = 10.",
      ours: m("two-stage", "max_lost_mass"),
      reference: { value: 1e-10, source: "a bound on the error of every probability on the box (fsp.ts)" },
      check: { kind: "at-most" },
    },
    {
      id: "same-equation",
      claim:
        "The master equation read from the network has the stationary distribution of gillespie's hand-written one.",
      ours: m("compare", "stationary_tv"),
      reference: {
        value: 1e-10,
        source: "gillespie.exact (Gauss–Seidel on the hand-written balance equations)",
      },
      check: { kind: "at-most" },
      differs: "both are iterative (sweeps stop at an L1 change of 1e-13); 1e-10 leaves room for that",
    },
    {
      id: "simulation-is-the-master-equation",
      claim:
        "Simulated histograms differ from the master equation's distribution by sampling noise only, at every time and size.",
      ours: m("compare", "max_abs_z"),
      reference: {
        value: m("compare", "z_threshold"),
        source: "multinomial samples of the same size from the master equation's P(n, t); Bonferroni at 1 %",
      },
      check: { kind: "at-most" },
    },
    {
      id: "tv-root-n",
      claim:
        "The total-variation distance between simulation and master equation falls like 1/√(trajectories).",
      ours: m("compare", "tv_slope"),
      reference: { value: -0.5, source: "1/√N" },
      check: { kind: "near", sigmas: 3, stderr: m("compare", "tv_slope_se") },
    },
  ],
  highlights: [
    { label: "slope of TV in N", ours: m("compare", "tv_slope"), digits: 3 },
    { label: "stationary birth–death error", ours: m("birth-death", "stationary_max_error") },
    { label: "largest |z|, simulation vs master equation", ours: m("compare", "max_abs_z"), digits: 2 },
  ],
  comparison: {
    rows: [
      {
        quantity: "stationary birth–death distribution",
        ours: "max error {birth-death:stationary_max_error}",
        reference: "Poisson(k/γ)",
        source: "the article's master equation, solved",
      },
      {
        quantity: "TV slope in the number of trajectories",
        ours: "{compare:tv_slope}",
        reference: -0.5,
        digits: 3,
        source: "sampling noise (central limit)",
      },
    ],
    note:
      "The article derives the equation and runs nothing; the references are exact solutions and the sampling " +
      "noise a correct simulation must show. The reactions are the Gillespie article's (k_m = 20, k_p = 2.5, " +
      "γ_m = γ_p = 1), defined once for the simulation and the equation.",
  },
});
