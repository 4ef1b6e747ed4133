import assert from "node:assert/strict";
import {
  type ClaimDef,
  describeCheck,
  evaluateClaims,
  type MetricLookup,
  tallyClaims,
  tallyText,
  validateClaims,
} from "./claims.ts";

const metrics: Record<string, Record<string, number>> = {
  summarize: { mean: 50.19, mean_se: 0.17, mean_exact: 50, nan: NaN },
  evaluate: { fid: 198.2, untrained: 2316, classes: 10 },
};
const lookup: MetricLookup = (ref) => {
  const stage = metrics[ref.stage];
  if (!stage) return { missing: `stage ${ref.stage} failed` };
  return stage[ref.metric] ?? { missing: `stage ${ref.stage} recorded no metric '${ref.metric}'` };
};

const claim = (over: Partial<ClaimDef>): ClaimDef => ({
  id: "c",
  claim: "Something holds.",
  ours: { stage: "summarize", metric: "mean" },
  reference: { value: 50, source: "analytic" },
  check: { kind: "near", abs: 1 },
  ...over,
});

const judge = (c: ClaimDef) => evaluateClaims([c], lookup)[0]!;

Deno.test("a 'near' claim uses the run's own standard error and shows the arithmetic", () => {
  const v = judge(claim({
    reference: { value: { stage: "summarize", metric: "mean_exact" }, source: "analytic" },
    check: { kind: "near", sigmas: 4, stderr: { stage: "summarize", metric: "mean_se" } },
  }));
  assert.equal(v.verdict, "reproduced");
  assert.equal(v.ours, 50.19);
  assert.equal(v.reference, 50);
  assert.equal(v.detail, "|50.19 − 50| = 0.19 ≤ 0.68 (4 × s.e. 0.17)");
  assert.equal(v.rule, "within 4 standard errors");
  const tight = judge(
    claim({ check: { kind: "near", sigmas: 1, stderr: { stage: "summarize", metric: "mean_se" } } }),
  );
  assert.equal(tight.verdict, "not reproduced", "0.19 > 1 × 0.17");
});

Deno.test("'near' adds absolute and relative tolerances", () => {
  assert.equal(judge(claim({ check: { kind: "near", abs: 0.1, rel: 0.002 } })).verdict, "reproduced"); // 0.19 ≤ 0.2
  assert.equal(judge(claim({ check: { kind: "near", abs: 0.1, rel: 0.001 } })).verdict, "not reproduced");
  assert.equal(describeCheck({ kind: "near", abs: 0.1, rel: 0.002 }), "within 0.1 + 0.2%");
});

Deno.test("orderings compare against a factor of another metric of the run", () => {
  const below = claim({
    ours: { stage: "evaluate", metric: "fid" },
    reference: { value: { stage: "evaluate", metric: "untrained" }, source: "untrained generator" },
    check: { kind: "below", factor: 0.2 },
  });
  const v = judge(below);
  assert.equal(v.verdict, "reproduced");
  assert.equal(v.detail, "198.2 < 0.2 × 2316 = 463.2");
  assert.equal(judge({ ...below, check: { kind: "below", factor: 0.05 } }).verdict, "not reproduced");
  assert.equal(judge({ ...below, check: { kind: "above" } }).verdict, "not reproduced");
  const all = claim({
    ours: { stage: "evaluate", metric: "classes" },
    reference: { value: 10, source: "the dataset's classes" },
    check: { kind: "at-least" },
  });
  assert.equal(judge(all).verdict, "reproduced");
  assert.equal(judge({ ...all, reference: { value: 11, source: "x" } }).verdict, "not reproduced");
  assert.equal(judge({ ...all, check: { kind: "at-most" } }).verdict, "reproduced");
});

Deno.test("a missing or non-finite number, or a different metric, makes a claim 'not comparable' with the reason", () => {
  const failed = judge(claim({ ours: { stage: "train", metric: "loss" } }));
  assert.equal(failed.verdict, "not comparable");
  assert.equal(failed.detail, "stage train failed");
  const absent = judge(claim({ ours: { stage: "summarize", metric: "fano" } }));
  assert.match(absent.detail, /recorded no metric 'fano'/);
  assert.equal(judge(claim({ ours: { stage: "summarize", metric: "nan" } })).detail, "summarize.nan is NaN");
  const reported = judge(claim({ check: { kind: "reported", why: "the paper uses Inception FID" } }));
  assert.equal(reported.verdict, "not comparable");
  assert.equal(reported.ours, 50.19, "ours is still shown");
  assert.equal(reported.detail, "the paper uses Inception FID");
});

Deno.test("tallies count verdicts as 'k of n claims reproduced'", () => {
  const verdicts = evaluateClaims([
    claim({ id: "a" }),
    claim({ id: "b", check: { kind: "near", abs: 0.01 } }),
    claim({ id: "c", check: { kind: "reported", why: "x" } }),
  ], lookup);
  const t = tallyClaims(verdicts);
  assert.deepEqual(t, { total: 3, reproduced: 1, notReproduced: 1, notComparable: 1 });
  assert.equal(tallyText(t), "1 of 3 claims reproduced (1 not comparable)");
});

Deno.test("malformed claims are refused when the pipeline is defined", () => {
  assert.throws(
    () => validateClaims("p", [claim({ id: "a" }), claim({ id: "a" })]),
    /claim 'a': the id is used twice/,
  );
  assert.throws(() => validateClaims("p", [claim({ id: "Bad Id" })]), /ids are lower case/);
  assert.throws(() => validateClaims("p", [claim({ check: { kind: "near" } })]), /needs abs, rel or sigmas/);
  assert.throws(
    () => validateClaims("p", [claim({ check: { kind: "near", sigmas: 2 } })]),
    /'sigmas' and 'stderr' go together/,
  );
  assert.throws(
    () => validateClaims("p", [claim({ reference: { source: "paper" }, check: { kind: "below" } })]),
    /needs reference.value/,
  );
  validateClaims("p", [claim({ reference: { source: "paper" }, check: { kind: "reported", why: "y" } })]);
});
