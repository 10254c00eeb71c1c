// The page pieces for attachments (docs/attachments.md): in the participant's compose form,
// record a spoken (or video) statement or choose a file, see the limits and warnings before
// sending, and a progress bar while it is encrypted and sent; on any message, open a file:
// decrypted here and played, shown, or offered to save. The logic is in ../attachments.js.

import { api } from "../api.js";
import {
  ACCEPT,
  AttachmentError,
  acceptedType,
  attachmentsOf,
  checkSize,
  encryptFile,
  essence,
  fileEntry,
  kindOf,
  largestFileFor,
  limitsOf,
  openFile,
  prepareFile,
  sizeWords,
  strippable,
  uploadBlob,
} from "../attachments.js";
import { announce, busy, el } from "../ui.js";
import { clearActionProblem, showActionProblem } from "../problems.js";
import { t } from "../i18n/messages.js";

// A problem with the file or the recording shows beside the file chooser, where the person is.
function showError(message) {
  if (message) showActionProblem("attach-file", message);
  else clearActionProblem("attach-file");
}

const RECORDING_TYPES = {
  audio: ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"],
  video: ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"],
};
const EXTENSIONS = { "audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a", "video/webm": "webm", "video/mp4": "mp4" };

const NOT_STRIPPED_WARNING = t(
  "Only photos in JPEG or PNG format have their hidden details removed before sending. This file may carry its own hidden details, such as where, when or on what it was made. If you send it, your facilitator will be told this.",
);

function recordingType(kind) {
  if (typeof MediaRecorder === "undefined") return null;
  return RECORDING_TYPES[kind].find((type) => MediaRecorder.isTypeSupported(type)) ?? "";
}

function canRecord(kind) {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia) && recordingType(kind) !== null;
}

function clock(seconds) {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function microphoneWords(error, video) {
  if (error && error.name === "NotAllowedError") {
    return video
      ? t("Relay was not allowed to use your camera and microphone. You can allow it in your browser's settings, or choose a file instead.")
      : t("Relay was not allowed to use your microphone. You can allow it in your browser's settings, or choose a file instead.");
  }
  if (error && error.name === "NotFoundError") {
    return video
      ? t("No camera and microphone was found on this device. You can choose a file instead.")
      : t("No microphone was found on this device. You can choose a file instead.");
  }
  return video
    ? t("Your camera and microphone could not be started. You can choose a file instead.")
    : t("Your microphone could not be started. You can choose a file instead.");
}

// The attachment part of the participant's compose form, put in `form` before `before`.
// Returns { pending(), upload(messageId), clear() }: upload encrypts and sends the chosen
// file (resuming an upload a dropped connection broke off) and gives the message id to seal
// with and the payload's `attachments` ([] when there is no file).
export function installAttach({ form, before, caseId }) {
  const limits = limitsOf(document.body.dataset);
  let pending = null; // { blob, name, type, recorded }
  let started = null; // { pending, messageId, key, cipher, entryBase, attachmentId }
  let recorder = null;
  let previewUrl = null;

  const limitWords = [
    limits.file !== null
      ? t("You can add one file to a message: a recording, a video, a photo or a PDF of up to {size}.", {
        size: sizeWords(largestFileFor(limits.file)),
      })
      : t("You can add one file to a message: a recording, a video, a photo or a PDF."),
    limits.case !== null
      ? t("All the files in your conversation together can be up to {size}.", { size: sizeWords(limits.case) })
      : null,
    t("Your facilitator sees it first, like your words."),
  ].filter(Boolean).join(" ");

  const fileInput = el("input", { type: "file", id: "attach-file", accept: ACCEPT, "aria-describedby": "attach-limits" });
  const status = el("p", { id: "record-status", class: "hint", role: "status" });
  const timer = el("p", { id: "record-timer", class: "hint", hidden: true });
  const liveVideo = el("video", { id: "record-live", muted: true, playsinline: true, hidden: true, "aria-label": t("What your camera sees") });
  liveVideo.muted = true;
  const stopButton = el("button", { type: "button", id: "record-stop", hidden: true }, t("Stop recording"));
  const recordButtons = [];
  for (const [kind, words] of [["audio", t("Record a spoken statement")], ["video", t("Record a video statement")]]) {
    if (!canRecord(kind)) continue;
    recordButtons.push(el("button", {
      type: "button",
      class: "secondary",
      id: `record-${kind}`,
      onclick: (event) => busy(event.currentTarget, () => startRecording(kind)),
    }, words));
  }
  const chosenName = el("p", { id: "attach-chosen-name" });
  const preview = el("div", { id: "attach-preview" });
  const warning = el("p", { id: "attach-warning", class: "banner", hidden: true }, NOT_STRIPPED_WARNING);
  const againButton = el("button", {
    type: "button", class: "secondary", id: "record-again", hidden: true,
    onclick: (event) => busy(event.currentTarget, () => startRecording(pending?.recordedKind || "audio")),
  }, t("Record again"));
  const removeButton = el("button", {
    type: "button", class: "secondary", id: "attach-remove",
    onclick: () => { clear(); announce(t("The file was removed. Only your words will be sent.")); },
  }, t("Remove the file"));
  const chosen = el("div", { id: "attach-chosen", class: "stack", hidden: true },
    chosenName, preview, warning, el("div", { class: "actions" }, againButton, removeButton));
  const progressBar = el("progress", { id: "attach-progress-bar", max: "100", value: "0" });
  const progressLabel = el("label", { for: "attach-progress-bar", id: "attach-progress-label" }, t("Sending your file"));
  const progressWords = el("span", { id: "attach-progress-words", class: "hint" });
  const progress = el("div", { id: "attach-progress", class: "field", hidden: true }, progressLabel, progressBar, progressWords);

  const fieldset = el("fieldset", { id: "attach", class: "stack attach" },
    el("legend", {}, t("Add a recording, a photo or a file (you do not have to)")),
    el("p", { id: "attach-limits", class: "hint" }, limitWords),
    recordButtons.length ? el("div", { class: "actions" }, ...recordButtons, stopButton) : null,
    liveVideo,
    timer,
    status,
    el("div", { class: "field" },
      el("label", { for: "attach-file" }, t("Or choose a file from this device")),
      fileInput),
    chosen,
    progress);
  form.insertBefore(fieldset, before);

  function showPending() {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    preview.replaceChildren();
    chosen.hidden = pending === null;
    if (pending === null) return;
    chosenName.textContent = t("Ready to send with your message: {name} ({size}).", {
      name: pending.name,
      size: sizeWords(pending.blob.size),
    });
    againButton.hidden = !pending.recorded;
    if (pending.recorded) {
      previewUrl = URL.createObjectURL(pending.blob);
      const kind = pending.recordedKind;
      preview.append(
        el("p", {}, kind === "video" ? t("Watch it before you send it:") : t("Listen to it before you send it:")),
        el(kind === "video" ? "video" : "audio", {
          controls: true, src: previewUrl, id: "record-preview",
          "aria-label": kind === "video" ? t("Your video statement") : t("Your spoken statement"),
        }),
      );
    }
  }

  function clear() {
    pending = null;
    started = null;
    fileInput.value = "";
    warning.hidden = true;
    progress.hidden = true;
    showPending();
  }

  fileInput.addEventListener("change", async () => {
    showError("");
    const file = fileInput.files && fileInput.files[0];
    if (!file) return;
    try {
      if (!acceptedType(file.type)) {
        throw new AttachmentError(t("This kind of file cannot be sent. Choose a recording, a video, a photo or a PDF."));
      }
      checkSize(file.size, limits);
      const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
      pending = { blob: file, name: file.name || "file", type: essence(file.type), recorded: false };
      started = null;
      warning.hidden = strippable(head);
      showPending();
    } catch (error) {
      fileInput.value = "";
      pending = null;
      showPending();
      showError(error.message);
    }
  });

  async function startRecording(kind) {
    if (recorder) return;
    const video = kind === "video";
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(video ? { audio: true, video: true } : { audio: true });
    } catch (error) {
      throw new AttachmentError(microphoneWords(error, video));
    }
    // A new recording replaces whatever was chosen: one file goes with a message.
    pending = null;
    started = null;
    fileInput.value = "";
    warning.hidden = true;
    showPending();
    const type = recordingType(kind);
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
    const pieces = [];
    let seconds = 0;
    timer.textContent = t("Recording: {time}", { time: clock(0) });
    timer.hidden = false;
    const tick = setInterval(() => {
      seconds += 1;
      timer.textContent = t("Recording: {time}", { time: clock(seconds) });
    }, 1000);
    if (video) {
      liveVideo.srcObject = stream;
      liveVideo.hidden = false;
      liveVideo.play().catch(() => {});
    }
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data && event.data.size) pieces.push(event.data);
    });
    // A recorder that fails stops; what it had is kept, or the person is asked to try again.
    recorder.addEventListener("error", () => showError(t("The recording stopped because of a problem on this device.")));
    recorder.addEventListener("stop", () => {
      clearInterval(tick);
      for (const track of stream.getTracks()) track.stop();
      liveVideo.srcObject = null;
      liveVideo.hidden = true;
      timer.hidden = true;
      const mime = essence(recorder.mimeType || type || (video ? "video/webm" : "audio/webm"));
      recorder = null;
      stopButton.hidden = true;
      for (const button of recordButtons) button.hidden = false;
      const blob = new Blob(pieces, { type: mime });
      if (!blob.size) {
        status.textContent = t("Nothing was recorded. Please try again.");
        return;
      }
      try {
        checkSize(blob.size, limits);
      } catch (error) {
        showError(error.message);
        return;
      }
      const day = new Date().toISOString().slice(0, 10);
      const what = video ? t("Video statement") : t("Spoken statement");
      pending = { blob, name: `${what} ${day}.${EXTENSIONS[mime] || "webm"}`, type: mime, recorded: true, recordedKind: kind };
      started = null;
      fileInput.value = "";
      warning.hidden = true;
      showPending();
      status.textContent = video
        ? t("Recording stopped after {time}. Watch it below before you send it.", { time: clock(seconds) })
        : t("Recording stopped after {time}. Listen to it below before you send it.", { time: clock(seconds) });
      // The "Record again" button and the preview are now where the person continues.
      document.getElementById("record-preview")?.focus();
    });
    recorder.start(1000);
    for (const button of recordButtons) button.hidden = true;
    stopButton.hidden = false;
    stopButton.focus();
    status.textContent = video ? t("Recording your video statement. Press “Stop recording” when you have finished.")
      : t("Recording your spoken statement. Press “Stop recording” when you have finished.");
  }

  stopButton.addEventListener("click", () => {
    if (recorder && recorder.state !== "inactive") recorder.stop();
  });

  function showProgress(words, done, total) {
    progress.hidden = false;
    progressLabel.textContent = words;
    const percent = total ? Math.floor((done / total) * 100) : 0;
    progressBar.value = percent;
    progressWords.textContent = `${percent}%`;
  }

  async function upload(messageId) {
    if (pending === null) return { messageId, attachments: [] };
    if (recorder) throw new AttachmentError(t("Stop the recording first."));
    // Send the message again after a failure: the same file carries on from where it stopped.
    if (started === null || started.pending !== pending) {
      const prepared = pending.recorded ? { blob: pending.blob, stripped: false } : await prepareFile(pending.blob);
      checkSize(prepared.blob.size, limits);
      const { key, cipher } = await encryptFile(prepared.blob, (done, total) => showProgress(t("Locking your file so only your facilitator can open it"), done, total));
      started = {
        pending,
        messageId,
        cipher,
        attachmentId: null,
        entry: { key, name: pending.name, type: pending.type, size: prepared.blob.size, stripped: prepared.stripped, recorded: pending.recorded },
      };
    }
    const current = started;
    current.attachmentId = await uploadBlob({
      call: api,
      caseId,
      messageId: current.messageId,
      cipher: current.cipher,
      attachmentId: current.attachmentId,
      onProgress: (done, total) => {
        // Known from the first answer on: a later failure resumes this upload, not a new one.
        showProgress(t("Sending your file"), done, total);
      },
      onRetry: () => { progressWords.textContent = t("The connection dropped. Trying again…"); },
      onStarted: (id) => { current.attachmentId = id; },
    });
    return { messageId: current.messageId, attachments: [fileEntry({ attachmentId: current.attachmentId, ...current.entry })] };
  }

  return { pending: () => pending !== null, upload, clear };
}

const ACTION_WORDS = {
  audio: t("Play the recording"),
  video: t("Play the video"),
  image: t("Show the photo"),
  pdf: t("Open the PDF"),
};
const KIND_WORDS = { audio: t("A recording"), video: t("A video"), image: t("A photo"), pdf: t("A PDF document") };

// Opened files keep their element across the page's re-renders: one per place on the page
// (a file forwarded shows under the original and under the forward, and in the review).
const views = new Map();

function shownFile(file, blob) {
  const url = URL.createObjectURL(blob);
  const kind = kindOf(file.type);
  const parts = [];
  const name = file.name;
  if (kind === "audio") parts.push(el("audio", { controls: true, src: url, preload: "metadata", "aria-label": t("Recording: {name}", { name }) }));
  if (kind === "video") parts.push(el("video", { controls: true, src: url, preload: "metadata", "aria-label": t("Video: {name}", { name }) }));
  if (kind === "image") parts.push(el("img", { src: url, alt: t("Photo sent with the message: {name}", { name }), class: "attachment-image" }));
  parts.push(
    el("a", { href: url, download: file.name || "file", class: "attachment-save" },
      file.name ? t("Save a copy of {name}", { name }) : t("Save a copy of the file")),
    el("p", { class: "hint" }, t("A saved copy stays on this device, even after you sign out or leave this site.")),
  );
  return parts;
}

function fileView(file, review, place) {
  const cacheKey = `${place}:${file.attachment_id}`;
  if (views.has(cacheKey)) return views.get(cacheKey);
  const kind = kindOf(file.type);
  const holder = el("div", { class: "attachment stack", "data-attachment-id": file.attachment_id });
  holder.append(el("p", { class: "attachment-name" }, t("{kind}: {name} ({size})", {
    kind: KIND_WORDS[kind] || t("A file"),
    name: file.name,
    size: sizeWords(file.size),
  })));
  if (review && file.stripped !== true && file.recorded !== true) {
    holder.append(el("p", { class: "banner attachment-warning" },
      t("The sender's device did not remove this file's hidden details (such as where, when or on what it was made). Check it before you pass it on.")));
  }
  const button = el("button", {
    type: "button",
    class: "secondary",
    onclick: () => busy(button, async () => {
      const blob = await openFile(file);
      button.replaceWith(...shownFile(file, blob));
      announce(t("The file is open."));
    }),
  }, ACTION_WORDS[kind] || t("Get the file"));
  holder.append(button);
  views.set(cacheKey, holder);
  return holder;
}

// The files a message's payload carries, each with a button that opens it here; null for a
// message without files. `place` names where on the page it goes (the message's id, or
// "review"), so each place keeps its own opened player. `review`: the facilitator's view,
// which says when a file's hidden details were not removed on the sender's device.
export function attachmentsBlock(payload, { place, review = false }) {
  const { files, unreadable } = attachmentsOf(payload);
  if (!files.length && !unreadable) return null;
  return el("div", { class: "attachments stack" },
    ...files.map((file) => fileView(file, review, place)),
    unreadable ? el("p", { class: "error" }, t("A file listed in this message could not be read.")) : null);
}

// Put a message's files after `anchor` (the review's original text), replacing any shown.
export function showFilesAfter(anchor, payload, options) {
  const id = `${anchor.id}-files`;
  document.getElementById(id)?.remove();
  const block = attachmentsBlock(payload, options);
  if (block) {
    block.id = id;
    anchor.after(block);
  }
}
