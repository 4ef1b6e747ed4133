/**
 * Our EM against scikit-learn's GaussianMixture from the same start (the dev-time fixture): the mean
 * log-likelihood after T iterations for each T the fixture recorded, and the means after the last.
 * When the data or the start differ from the fixture's (another seed or size), the comparison is not
 * comparable and says so.
 *
 * @module
 */
import { em, type Gmm } from "./gmm.ts";
import { SKLEARN_GMM } from "./fixtures/sklearn_gmm_fixture.ts";

export interface SklearnComparison {
  /** max over T of |ours − sklearn| / |sklearn| (NaN when not comparable). */
  maxRelDiff: number;
  /** max |μ_ours − μ_sklearn| after the last T (NaN when not comparable). */
  meansMaxDiff: number;
  rows: { iterations: number; ours: number; "scikit-learn": number; "relative difference": number }[];
  caption: string;
}

export function compareWithSklearn(
  name: keyof typeof SKLEARN_GMM.cases,
  x: Float64Array,
  start: Gmm,
  digest: string,
): SklearnComparison {
  const ref = SKLEARN_GMM.cases[name];
  if (ref.digest !== digest) {
    return {
      maxRelDiff: NaN,
      meansMaxDiff: NaN,
      rows: [],
      caption:
        `Not comparable: the data or the start differ from those the scikit-learn fixture was recorded on ` +
        `(digest ${digest.slice(0, 12)}… vs ${
          ref.digest.slice(0, 12)
        }…); rerun fixtures/make_sklearn_fixture.ts for them.`,
    };
  }
  const n = x.length / start.d;
  // Exactly as many M-steps as scikit-learn ran (no early stop): tolerance below any gain.
  const run = em(x, start, { maxIterations: ref.finalIterations, tolerance: -1 });
  const rows = Object.entries(ref.meanLogLikelihood).map(([t, theirs]) => {
    // sklearn's lower_bound_ after T iterations is the likelihood of the parameters after T − 1 M-steps.
    const ours = run.logLikelihoods[Number(t) - 1]! / n;
    return {
      iterations: Number(t),
      ours,
      "scikit-learn": theirs,
      "relative difference": Math.abs(ours - theirs) / Math.abs(theirs),
    };
  });
  const meansMaxDiff = Math.max(...Array.from(run.gmm.means, (v, i) => Math.abs(v - ref.finalMeans[i]!)));
  return {
    maxRelDiff: Math.max(...rows.map((r) => r["relative difference"])),
    meansMaxDiff,
    rows,
    caption:
      `scikit-learn ${SKLEARN_GMM.sklearn} GaussianMixture(covariance_type="full", reg_covar=0, tol=0, ` +
      `max_iter=T) from the same weights, means and precisions: its lower_bound_ (the mean log-likelihood) after T ` +
      `iterations beside ours. After ${ref.finalIterations} iterations the means differ by at most ` +
      `${meansMaxDiff.toExponential(1)}.`,
  };
}
