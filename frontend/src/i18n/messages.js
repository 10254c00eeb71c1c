// The browser's own message catalogue: text that script puts on a page, by key. A second
// language is a second catalogue chosen by <html lang>.

const CATALOGUES = {
  "en-GB": {
    "password.current.missing": "Enter your current password",
    "password.current.wrong": "Your current password is not right",
    "password.new.short": "Your new password needs at least 10 characters",
    "password.new.same": "Your new password must be different from the current one",
    "password.confirm.mismatch": "The two new passwords are not the same",
    "password.done": "Your password has been changed",
    "compose.empty": "Write your message first",
    "compose.offline": "Your message was not sent: this device is not connected to the internet. It is still in the box above. Send it again when you are connected.",
    "compose.back": "You are connected again. You can send your message now.",
    "review.nothing": "There is nothing left to pass on. Return it or explain why not instead",
    "review.note.missing": "Write a note saying what to change",
    "review.reason.missing": "Write the reason it will not be passed on",
    "offline": "This device is not connected to the internet. Nothing was sent. Try again when you are connected.",
  },
};

export function t(key) {
  const lang = document.documentElement.lang || "en-GB";
  return (CATALOGUES[lang] || CATALOGUES["en-GB"])[key] || CATALOGUES["en-GB"][key] || key;
}
