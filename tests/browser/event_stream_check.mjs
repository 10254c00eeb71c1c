// The live connection's catch-up, under Node with the API faked: the next event in order
// costs no API read, a gap is read from the API once, a hole the API cannot fill does not
// stop the stream, and a failed read does not stop later events.
//
//   node event_stream_check.mjs    prints what each case delivered and read

import assert from "node:assert/strict";

globalThis.document = { cookie: "" };
const reads = [];
let answer = () => ({ events: [], latest: 0 });
globalThis.fetch = async (url) => {
  reads.push(url);
  const body = answer(url);
  if (body instanceof Error) throw body;
  return { ok: true, status: 200, json: async () => body };
};

const { EventStream } = await import("../../frontend/src/socket.js");

function stream(lastSeq) {
  const shown = [];
  const s = new EventStream({ lastSeq, onEvent: (event) => shown.push(event.seq) });
  return { s, shown };
}

const ev = (seq) => ({ seq, type: "message_state", data: {} });
const results = {};

// In order: shown straight from the push, no read.
{
  reads.length = 0;
  const { s, shown } = stream(3);
  s.receive(ev(4));
  s.receive(ev(5));
  s.receive(ev(5));
  await s.catchingUp;
  assert.deepEqual(shown, [4, 5]);
  assert.equal(reads.length, 0);
  results.in_order = { shown, reads: reads.length };
}

// A gap: one read fills it, then the pushed event, each once.
{
  reads.length = 0;
  answer = () => ({ events: [ev(4), ev(5), ev(6)], latest: 6 });
  const { s, shown } = stream(3);
  s.receive(ev(6));
  s.receive(ev(7));
  await s.catchingUp;
  assert.deepEqual(shown, [4, 5, 6, 7]);
  assert.deepEqual(reads, ["/api/events?after=3"]);
  results.gap = { shown, reads: reads.length };
}

// A hole the database does not hold (5 never existed): read once, not forever.
{
  reads.length = 0;
  answer = () => ({ events: [ev(6)], latest: 6 });
  const { s, shown } = stream(4);
  s.receive(ev(6));
  await s.catchingUp;
  assert.deepEqual(shown, [6]);
  assert.equal(reads.length, 1);
  results.hole = { shown, reads: reads.length };
}

// A failed read: the stream goes on, and the next push reads the gap again.
{
  reads.length = 0;
  answer = () => new Error("offline");
  const { s, shown } = stream(1);
  s.receive(ev(3));
  await s.catchingUp;
  answer = () => ({ events: [ev(2), ev(3), ev(4)], latest: 4 });
  s.receive(ev(4));
  await s.catchingUp;
  assert.deepEqual(shown, [2, 3, 4]);
  results.failed_read = { shown, reads: reads.length };
}

process.stdout.write(JSON.stringify(results));
