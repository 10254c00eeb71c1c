// The case-work words under Node's own test runner: `node --test frontend/test/`.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { entryWords, recordWords, stepsOffered } from "../src/casework.js";

describe("case work words", () => {
  it("offers a button for each step the server lists, except finding the case unsuitable", () => {
    assert.deepEqual(stepsOffered(["begin_preparation", "find_unsuitable"]), ["begin_preparation"]);
    assert.deepEqual(stepsOffered(undefined), []);
  });

  it("says each record's clear facts in words", () => {
    const criteria = { reported_to_police: "reported", both_willing: "willing" };
    assert.equal(
      recordWords({ kind: "suitability", facts: { reported_to_police: true, both_willing: false } }, criteria),
      "Suitability: met: reported. Not met: willing.",
    );
    assert.equal(recordWords({ kind: "risk_assessment", facts: { level: "high" } }), "Risk assessment: high risk.");
    assert.equal(
      recordWords({ kind: "contact_attempt", facts: { side: "harmed", method: "phone", reached: false } }),
      "Contact attempt with the person harmed by phone: not reached.",
    );
    assert.equal(recordWords({ kind: "approach", facts: { response: "needs_time" } }),
      "Approach to the person responsible: needs time.");
    assert.equal(recordWords({ kind: "case_note", facts: {} }), "Case note.");
  });

  it("says a state change and other entries in words", () => {
    assert.equal(entryWords({ what: "case_state", details: { old: "assessing", new: "preparing" } }),
      "Case moved from assessing to preparing.");
    assert.equal(entryWords({ what: "case_created", details: {} }), "Case created.");
  });
});
