/**
 * The data settings the scikit-learn fixture was recorded at (fixtures/make_sklearn_fixture.ts). The
 * stages' param defaults are these, so that the default run compares with it; another setting changes
 * the data digest and the comparison is then reported as not comparable.
 *
 * @module
 */
export const SKLEARN_DEFAULTS = {
  synthetic: { n: 3000, seed: 0, initSeed: 0 },
  digits: { dims: 10, components: 10, initSeed: 0 },
} as const;
