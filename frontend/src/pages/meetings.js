// Meetings: a participant's list (answer proposed times, add to a calendar), the meeting
// page (the Join button and the provider's own client), and the facilitator's scheduling
// section of the case page. Details are sealed in the browser to the people invited and
// the case's facilitators, and opened here; the server never reads them.

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import { facilitatorRecipients, openMessage, recipientsOf, trustedKeys } from "../casekeys.js";
import { installSignOut, signedInDevice } from "../session.js";
import { t } from "../i18n/messages.js";
import { $, announce, busy, el, showError, when, withElements } from "../ui.js";

// Words are looked up when a page is drawn, so that t() reads the page's language then.
// A title is one whole message per kind and medium, so a translation may order its words.
function title(meeting) {
  const titles = {
    preparation: {
      video: t("Preparation meeting by video call"),
      phone: t("Preparation meeting by phone"),
      in_person: t("Preparation meeting in person"),
    },
    conference: {
      video: t("Joint conference by video call"),
      phone: t("Joint conference by phone"),
      in_person: t("Joint conference in person"),
    },
  };
  return titles[meeting.kind]?.[meeting.medium] ?? `${meeting.kind} ${meeting.medium}`;
}

function stateWords(state) {
  return {
    proposed: t("Times offered: please answer"),
    confirmed: t("Confirmed"),
    cancelled: t("Cancelled"),
  }[state] ?? state;
}

function answers() {
  return [
    ["accept", t("I can come")],
    ["decline", t("I cannot come")],
    ["need_to_talk", t("I need to talk about it first")],
  ];
}

function sideWords(side) {
  return { harmed: t("The person harmed"), responsible: t("The person responsible") }[side] ?? side;
}

// A translated text with `{name}` places for page nodes (a <time>, a link): the text split
// around them, so a translation can put the node where its grammar needs it.
// The sealed details as text, or "" when there are none or they cannot be opened.
async function detailsText(meeting, device, summaries) {
  if (!meeting.details) return "";
  if (!summaries.has(meeting.case_id)) {
    summaries.set(meeting.case_id, await get(`/api/cases/${meeting.case_id}`));
  }
  const keys = trustedKeys(summaries.get(meeting.case_id), device.keyPair, device.me.user_id);
  const opened = openMessage({ envelope: meeting.details }, keys, device.keyPair);
  return opened.error ? "" : opened.text;
}

function whenLine(meeting) {
  if (meeting.starts_at) {
    const state = stateWords(meeting.state);
    const minutes = meeting.duration_minutes;
    const line = minutes === 1
      ? t("{state}: {when}, 1 minute", { state })
      : t("{state}: {when}, {minutes} minutes", { state, minutes });
    return el("p", {}, ...withElements(line, { when: when(meeting.starts_at) }));
  }
  return el("p", {}, stateWords(meeting.state));
}

export async function meetingsPage() {
  const device = await signedInDevice();
  if (!device) return;
  installSignOut();
  const summaries = new Map();

  async function render() {
    const { meetings } = await get("/api/meetings");
    $("meetings-empty").hidden = meetings.length > 0;
    const items = [];
    for (const meeting of meetings) {
      const details = await detailsText(meeting, device, summaries);
      const item = el("li", { class: "case-item stack" },
        el("h2", {}, title(meeting)), whenLine(meeting));
      if (details) item.append(el("p", {}, t("Details: {details}", { details })));
      if (meeting.state === "proposed") item.append(answerForm(meeting));
      if (meeting.state === "confirmed") {
        item.append(el("p", {}, el("a", { href: `/meetings/${meeting.meeting_id}` }, t("Open the meeting page"))));
        item.append(el("p", {}, ...withElements(t("{calendar} or {calendarWithLink}"), {
          calendar: el("a", { href: `/meetings/${meeting.meeting_id}/calendar.ics` }, t("Add to your calendar")),
          calendarWithLink: el("a", { href: `/meetings/${meeting.meeting_id}/calendar.ics?link=1` },
            t("add it with a link to this meeting")),
        })));
      }
      items.push(item);
    }
    $("meeting-list").replaceChildren(...items);
  }

  function answerForm(meeting) {
    const list = el("ul", { class: "stack", "aria-label": t("The times offered") });
    for (const slot of meeting.slots) {
      const buttons = answers().map(([value, words]) => {
        const button = el("button", {
          type: "button",
          class: slot.my_answer === value ? "" : "secondary",
          "aria-pressed": String(slot.my_answer === value),
        }, words);
        button.addEventListener("click", () => busy(button, async () => {
          await post(`/api/meetings/${meeting.meeting_id}/answer`, { answers: { [slot.slot_id]: value } });
          announce(t("Your answer is saved: {answer}.", { answer: words }));
          await render();
        }));
        return button;
      });
      list.append(el("li", { class: "stack" }, el("p", {}, when(slot.starts_at)),
        el("div", { class: "actions", role: "group", "aria-label": t("Your answer") }, ...buttons)));
    }
    return el("div", { class: "stack" },
      el("p", {}, t("Only your facilitator sees your answers.")), list);
  }

  await render();
}

export async function meetingPage() {
  const device = await signedInDevice();
  if (!device) return;
  installSignOut();
  const meetingId = document.body.dataset.meetingId;
  const summaries = new Map();
  let joined = false;

  async function refresh() {
    const meeting = await get(`/api/meetings/${meetingId}`);
    $("meeting-summary").replaceChildren(title(meeting), ". ", ...whenLine(meeting).childNodes);
    const details = await detailsText(meeting, device, summaries);
    $("meeting-details").textContent = details ? t("Details: {details}", { details }) : "";
    const join = meeting.join;
    const may = Boolean(join && join.may_join);
    $("join-button").hidden = !may || joined;
    if (!join) {
      $("join-status").textContent = meeting.medium === "video"
        ? t("The Join button appears here once the meeting is confirmed.") : "";
    } else if (may) {
      $("join-status").textContent = joined ? t("You are in the meeting.") : t("The meeting room is open.");
    } else {
      $("join-status").textContent = join.refusal;
      if (joined) leave();
    }
    return meeting;
  }

  function leave() {
    joined = false;
    $("video").replaceChildren();
    $("video").hidden = true;
  }

  $("join-button").addEventListener("click", () => busy($("join-button"), async () => {
    const reply = await post(`/api/meetings/${meetingId}/join`);
    joined = true;
    $("join-button").hidden = true;
    if (reply.provider === "jitsi") {
      const frame = el("iframe", {
        src: reply.url,
        title: t("Video meeting"),
        allow: "camera; microphone; display-capture", // i18n-ignore
        class: "video-frame",
      });
      $("video").replaceChildren(frame);
      $("video").hidden = false;
      $("join-status").textContent = t("You are in the meeting.");
    } else {
      $("join-status").textContent = t("Use the link in the details above to join.");
    }
  }));

  await refresh();
  // A pause or withdrawal shuts the room: the button goes within seconds.
  setInterval(() => { refresh().catch((error) => showError(error.message)); }, 5000);
}

// The facilitator's Meetings section on the case page.
export function installScheduling({ caseId, device, getSummary }) {
  const me = device.keyPair;
  const sideField = $("schedule-side-field");
  const showSide = () => {
    const preparation = $("schedule-kind").value === "preparation";
    sideField.hidden = !preparation;
    sideField.style.display = preparation ? "" : "none";
  };
  $("schedule-kind").addEventListener("change", showSide);
  showSide();

  function sealDetails(text, kind, side) {
    if (!text.trim()) return null;
    const summary = getSummary();
    const invited = summary.participants.filter((p) => kind === "conference" || p.side === side);
    return crypto.seal({
      sender: me,
      senderId: device.me.user_id,
      caseId,
      kind: "meeting_details",
      // The invitees: the participants and the supporters they consent to have with them.
      recipients: [
        ...facilitatorRecipients(summary),
        ...recipientsOf(invited),
        ...recipientsOf(invited.flatMap((p) => p.supporters || [])),
      ],
      payload: { body: text },
    });
  }

  async function render() {
    const { meetings } = await get(`/api/meetings?case_id=${caseId}`);
    $("case-meetings-empty").hidden = meetings.length > 0;
    $("case-meetings-empty").dataset.ready = "true";
    $("case-meetings").replaceChildren(...meetings.map((meeting) => {
      const item = el("li", { class: "case-item stack" }, el("h3", {}, title(meeting)), whenLine(meeting));
      if (meeting.state === "proposed") {
        for (const slot of meeting.slots) {
          const given = meeting.invitees.map((invitee) => {
            const answer = invitee.answers[slot.slot_id];
            const words = answer ? answers().find(([value]) => value === answer)[1] : t("no answer yet");
            return t("{side}: {answer}", { side: sideWords(invitee.side), answer: words });
          }).join("; ");
          const confirm = el("button", { type: "button" }, t("Confirm this time"));
          confirm.addEventListener("click", () => busy(confirm, async () => {
            await post(`/api/meetings/${meeting.meeting_id}/confirm`, { slot_id: slot.slot_id });
            announce(t("The meeting is confirmed. Everyone invited has been told."));
            await render();
          }));
          item.append(el("div", { class: "stack" },
            el("p", {}, ...withElements(t("{when} — {answers}", { answers: given }), { when: when(slot.starts_at) })), confirm));
        }
      }
      if (meeting.state !== "cancelled") item.append(rescheduleForm(meeting));
      if (meeting.state !== "cancelled") {
        const cancel = el("button", { type: "button", class: "danger" }, t("Cancel this meeting"));
        cancel.addEventListener("click", () => busy(cancel, async () => {
          await post(`/api/meetings/${meeting.meeting_id}/cancel`);
          announce(t("The meeting is cancelled. Everyone invited has been told."));
          await render();
        }));
        item.append(el("p", {}, el("a", { href: `/meetings/${meeting.meeting_id}` }, t("Open the meeting page"))), cancel);
      }
      return item;
    }));
  }

  // Offer new times: the meeting goes back to waiting for answers; the answers given and
  // the reminders not yet sent are dropped, and everyone invited is told.
  function rescheduleForm(meeting) {
    const id = meeting.meeting_id;
    const times = [1, 2].map((n) => el("input", { type: "datetime-local", id: `reschedule-${id}-${n}` }));
    const labelled = times.map((input, i) => el("div", { class: "field" },
      el("label", { for: input.id }, i === 0 ? t("New time") : t("Another new time (optional)")), input));
    const send = el("button", { type: "submit" }, t("Offer these times instead"));
    const form = el("form", { class: "stack" }, ...labelled, send);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(send, async () => {
        const slots = times.map((input) => input.value).filter(Boolean)
          .map((local) => new Date(local).toISOString());
        if (!slots.length) {
          showError(t("Give at least one new time to offer."));
          return;
        }
        await post(`/api/meetings/${id}/reschedule`, { slots });
        announce(t("The new times are offered. Everyone invited has been told."));
        await render();
      });
    });
    return el("details", { class: "stack" }, el("summary", {}, t("Offer different times")), form);
  }

  $("schedule-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("schedule-submit"), async () => {
      const kind = $("schedule-kind").value;
      const side = $("schedule-side").value;
      const slots = [$("schedule-slot-1").value, $("schedule-slot-2").value]
        .filter(Boolean).map((local) => new Date(local).toISOString());
      if (!slots.length) {
        showError(t("Give at least one time to offer."));
        return;
      }
      const body = {
        kind,
        medium: $("schedule-medium").value,
        duration_minutes: Number($("schedule-duration").value),
        slots,
        details: sealDetails($("schedule-details").value, kind, side),
      };
      if (kind === "preparation") body.side = side;
      await post(`/api/cases/${caseId}/meetings`, body);
      $("schedule-details").value = "";
      announce(t("The times are offered. The people invited have been told."));
      await render();
    });
  });

  return render;
}
