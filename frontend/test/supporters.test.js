// The supporter words under Node's own test runner: `node --test frontend/test/`.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  supporterActions,
  supporterWordsForFacilitator,
  supporterWordsForParticipant,
} from "../src/supporters.js";

const row = (extra) => ({ side: "harmed", state: "requested", display_name: "", enrolled: false, ended_by: null, ...extra });

describe("supporter words", () => {
  it("tells the participant where each request and support stands", () => {
    assert.match(supporterWordsForParticipant(row()), /You asked for a supporter/);
    assert.match(supporterWordsForParticipant(row({ state: "approved", display_name: "Sam" })), /Sam has been given a code/);
    assert.match(supporterWordsForParticipant(row({ state: "approved", display_name: "Sam", enrolled: true })), /^Sam is supporting you/);
    assert.match(supporterWordsForParticipant(row({ state: "ended", display_name: "Sam", ended_by: "participant" })), /^You ended Sam's support/);
    assert.match(supporterWordsForParticipant(row({ state: "ended", display_name: "Sam", ended_by: "facilitator" })), /^Your facilitator ended Sam's support/);
    assert.match(supporterWordsForParticipant(row({ state: "ended", ended_by: "facilitator" })), /did not agree/);
    assert.match(supporterWordsForParticipant(row({ state: "ended", ended_by: "participant" })), /took back/);
  });

  it("tells the facilitator whose supporter it is and who ended it", () => {
    assert.equal(supporterWordsForFacilitator(row()), "The person harmed asked for a supporter.");
    assert.equal(
      supporterWordsForFacilitator(row({ state: "approved", display_name: "Sam", enrolled: true })),
      "Sam supports the person harmed: enrolled.",
    );
    assert.equal(supporterWordsForFacilitator(row({ state: "ended", ended_by: "facilitator" })),
      "A request from the person harmed for a supporter was declined.");
    assert.equal(
      supporterWordsForFacilitator(row({ state: "ended", display_name: "Sam", ended_by: "participant" })),
      "Sam no longer supports the person harmed: ended by the participant.",
    );
  });

  it("offers the actions each state allows", () => {
    assert.deepEqual(supporterActions(row(), "facilitator"), ["approve", "decline"]);
    assert.deepEqual(supporterActions(row(), "participant"), ["take_back"]);
    assert.deepEqual(supporterActions(row({ state: "approved" }), "participant"), ["end"]);
    assert.deepEqual(supporterActions(row({ state: "ended" }), "facilitator"), []);
  });
});
