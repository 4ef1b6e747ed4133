import assert from "node:assert/strict";
import { Rng } from "../../stages/data/random.ts";
import { simulate } from "./gillespie.ts";
import { ARTICLE_RATES, reactions, twoStageNetwork } from "./model.ts";
import { boxSize, generator, indexOf, propensity, stateOf, statesAt } from "./network.ts";

Deno.test("propensity follows the article's rule: rate × the count of each consumed species", () => {
  const [transcription, translation, mrnaDecay, proteinDecay] = reactions(ARTICLE_RATES);
  assert.equal(propensity(transcription!, [3, 7]), 20);
  assert.equal(propensity(translation!, [3, 7]), 7.5);
  assert.equal(propensity(mrnaDecay!, [3, 7]), 3);
  assert.equal(propensity(proteinDecay!, [3, 7]), 7);
});

Deno.test("the generator: every state's outflow sums to its exit rate, and leaks only at the box's edge", () => {
  const box = { max: [4, 6] };
  const g = generator(twoStageNetwork(ARTICLE_RATES), box);
  assert.equal(g.size, boxSize(box));
  for (let j = 0; j < g.size; j++) {
    const x = stateOf(box, j);
    assert.equal(indexOf(box, x), j);
    let out = g.leak[j]!;
    for (let k = g.start[j]!; k < g.start[j + 1]!; k++) out += g.rate[k]!;
    assert.ok(Math.abs(out - g.exit[j]!) < 1e-12);
    const edge = x[0] === 4 || x[1] === 6;
    assert.equal(g.leak[j]! > 0, edge && (x[0] === 4 || x[0]! > 0), `state ${x}`);
  }
  const reflecting = generator(twoStageNetwork(ARTICLE_RATES), box, { reflecting: true });
  assert.ok(reflecting.leak.every((v) => v === 0));
});

Deno.test("statesAt() draws the same trajectory as the gillespie simulation for the same seed", () => {
  // simulate() records the path; statesAt() samples it: at the path's jump times they must agree.
  const { path } = simulate(reactions(ARTICLE_RATES), new Rng(5), {
    start: [0, 0],
    duration: 3,
    recordUntil: 3,
  });
  const times = path.slice(1, 40).map((p) => p.t + 1e-9);
  const states = statesAt(twoStageNetwork(ARTICLE_RATES), [0, 0], times, new Rng(5));
  states.forEach((x, i) => assert.deepEqual([x[0], x[1]], [path[i + 1]!.m, path[i + 1]!.n]));
});
