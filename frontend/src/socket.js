// The live connection: one WebSocket that reconnects with backoff and catches up by
// sequence number. The database is the source of truth; a push is only a shortcut.

import { get } from "./api.js";
import { showError } from "./ui.js";
import { t } from "./i18n/messages.js";

const MAX_BACKOFF_MS = 15000;

// Close codes after which reconnecting cannot help until the person acts (docs/api.md,
// "Close codes"), with what to tell them. Any other code (1001, 1006, 1011, 4400, 4413,
// 4415) means: reconnect with backoff and say hello from the last seq.
export const FINAL_CLOSES = {
  4001: t("You have been signed out. Sign in again to continue."),
  4002: t("You were signed out after a time without activity. Sign in again to continue."),
  4003: t("This page cannot connect to Relay from this address."),
  4401: t("You have been signed out. Sign in again to continue."),
  4403: t("Confirm your second factor to continue. Sign in again to enter your code."),
  4429: t("Relay is open in too many windows. Close some of them, then reload this page."),
};

export class EventStream {
  // onEvent(event) is called once per event, in sequence order.
  constructor({ lastSeq = 0, onEvent, onStatus = () => {}, onClosedForGood = () => {} }) {
    this.lastSeq = lastSeq;
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.onClosedForGood = onClosedForGood;
    this.attempt = 0;
    this.socket = null;
    this.stopped = false;
    this.catchingUp = Promise.resolve();
  }

  start() {
    this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close(1000);
  }

  connect() {
    if (this.stopped) return;
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}/ws/`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempt = 0;
      this.onStatus("connected");
      socket.send(JSON.stringify({ type: "hello", last_seq: this.lastSeq }));
    });
    socket.addEventListener("message", (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.type === "event") this.receive(frame.event);
    });
    socket.addEventListener("close", (event) => {
      this.socket = null;
      // Signed out, idle, revoked, withdrawn, no second factor, foreign origin or too many
      // sockets: reconnecting will not help.
      if (event.code in FINAL_CLOSES) {
        this.stopped = true;
        this.onClosedForGood(event.code);
        return;
      }
      if (this.stopped) return;
      this.onStatus("reconnecting");
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
      this.attempt += 1;
      setTimeout(() => this.connect(), delay);
    });
  }

  // Only a gap in sequence numbers costs a read from the API; the next event in order is
  // shown straight from the push.
  receive(event) {
    this.catchingUp = this.catchingUp.then(async () => {
      if (event.seq <= this.lastSeq) return;
      if (event.seq > this.lastSeq + 1) await this.fetchMissing(event.seq - 1);
      if (event.seq > this.lastSeq) this.deliver(event);
    }).catch((error) => {
      // A failed catch-up read must not stop the chain: the next push or reconnect retries.
      console.error(error);
    });
  }

  deliver(event) {
    this.lastSeq = event.seq;
    try {
      this.onEvent(event);
    } catch (error) {
      // One event that cannot be shown must not stop the stream.
      console.error(error);
    }
  }

  // A gap in sequence numbers: read what was missed from the API, in order. The API answers
  // with what the database holds after lastSeq, in order, so every event it returns is
  // shown: a sequence number it does not hold can never be filled by reading again.
  async fetchMissing(upTo) {
    while (this.lastSeq < upTo) {
      const page = await get(`/api/events?after=${this.lastSeq}`);
      if (!page.events.length) return;
      for (const event of page.events) {
        if (event.seq > this.lastSeq) this.deliver(event);
      }
    }
  }
}

// Everything in the user's stream so far, for the first render of a page.
export async function allEvents() {
  const events = [];
  let after = 0;
  for (;;) {
    const page = await get(`/api/events?after=${after}`);
    events.push(...page.events);
    if (!page.events.length || after >= page.latest) break;
    after = page.events[page.events.length - 1].seq;
    if (after >= page.latest) break;
  }
  return events;
}

// A page's events: everything so far, shown with live = false; then `ready()` (the page's
// first render); then a stream from the last of them, shown with live = true. Returns the
// stream.
export async function followEvents({
  onEvent,
  ready = () => {},
  onStatus = () => {},
  onClosedForGood = (code) => showError(FINAL_CLOSES[code] || FINAL_CLOSES[4001]),
}) {
  const history = await allEvents();
  for (const event of history) onEvent(event, false);
  await ready();
  return new EventStream({
    lastSeq: history.length ? history[history.length - 1].seq : 0,
    onEvent: (event) => onEvent(event, true),
    onStatus,
    onClosedForGood,
  }).start();
}
