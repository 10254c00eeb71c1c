// How a facilitator's pages put a case's state in words, from what the server says: whether
// it is communicating, the safety pause, and each side's participation.

export const SIDE_WORDS = { harmed: "the person harmed", responsible: "the person responsible" };

export function caseStateWords(summary) {
  if (summary.state !== "active") return `Case state: ${summary.state}.`;
  if (summary.communicating) return "Communicating: messages can be passed on.";
  const parts = [];
  const paused = (summary.participants || []).filter((p) => p.state === "paused").map((p) => SIDE_WORDS[p.side]);
  const gone = (summary.participants || []).filter((p) => p.state === "withdrawn").map((p) => SIDE_WORDS[p.side]);
  if (summary.safety_paused) parts.push("a facilitator (safety pause)");
  parts.push(...paused);
  let text = parts.length ? `Paused by ${parts.join(" and ")}.` : "Not communicating.";
  if (gone.length) text += ` Withdrawn: ${gone.join(" and ")}. The process has ended for them.`;
  return `${text} Nothing can be passed on now.`;
}
