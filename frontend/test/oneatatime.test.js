import assert from "node:assert/strict";
import { test } from "node:test";

import { oneAtATime } from "../src/oneatatime.js";

test("calls during a run ask for exactly one more run, and all wait for it", async () => {
  let runs = 0;
  let afters = 0;
  let release;
  const gate = () => new Promise((resolve) => { release = resolve; });
  let waiting = gate();
  const read = oneAtATime(async () => {
    runs += 1;
    await waiting;
  }, () => { afters += 1; });
  const first = read();
  const second = read();
  const third = read();
  assert.equal(runs, 1);
  const firstGate = release;
  waiting = gate();
  firstGate();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(runs, 2, "the calls made during the first run share one more run");
  release();
  await Promise.all([first, second, third]);
  assert.equal(runs, 2);
  assert.equal(afters, 1);
  assert.equal(first, second);
});

test("a failed run lets the next call start afresh", async () => {
  let runs = 0;
  const read = oneAtATime(async () => {
    runs += 1;
    if (runs === 1) throw new Error("offline");
  });
  await assert.rejects(read(), /offline/);
  await read();
  assert.equal(runs, 2);
});
