/* The kiosk's side of a hand-off to staff (issue 11).
 *
 * Once a reply says a person has the conversation (custom.handoff from the
 * assistant, or "handoff" in /api/chat's answer while staff have it), this
 * polls POST /api/handoff/poll {sender} every few seconds and shows the staff's
 * messages (and the closing note with the rating buttons) in the conversation,
 * through kiosk.js's own renderer. Polling stops when the hand-off is closed
 * and nothing is left to show, or when the kiosk starts a new conversation.
 */
(function () {
  "use strict";
  var POLL_MS = 2500;
  var body = document.body;
  var timer = null;
  var polledSender = null;

  function hasHandoff(data) {
    if (!data) return false;
    if (data.handoff) return true;
    return (data.messages || []).some(function (m) { return m && m.custom && m.custom.handoff; });
  }

  function stop() {
    if (timer) clearTimeout(timer);
    timer = null;
    polledSender = null;
    body.dataset.handoff = "";
    body.dataset.handoffOnDuty = "";
  }

  function poll() {
    var sender = body.dataset.sender;
    if (!sender || sender !== polledSender) { stop(); return; }  // a new conversation: not ours
    fetch("/api/handoff/poll", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender }),
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (body.dataset.sender !== polledSender) return;
        if (data && data.messages && data.messages.length && window.juzhuKiosk) {
          window.juzhuKiosk.showReplies(data.messages, false);
        }
        if (data && !data.handoff && !(data.messages || []).length) { stop(); return; }
        body.dataset.handoff = data && data.handoff ? data.handoff.status : "closed";
        body.dataset.handoffOnDuty = data && data.handoff && data.handoff.on_duty ? "1" : "0";
        if (data && data.handoff && data.handoff.case_no) body.dataset.caseNo = data.handoff.case_no;
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () {
        if (polledSender) timer = setTimeout(poll, POLL_MS);
      });
  }

  function start() {
    if (polledSender === body.dataset.sender && timer) return;
    stop();
    polledSender = body.dataset.sender;
    body.dataset.handoff = "open";
    timer = setTimeout(poll, 500);
  }

  // What the reply that opened the hand-off says of it: who is on duty, the case number.
  function noteHandoff(data) {
    var found = (data.messages || []).map(function (m) { return m && m.custom && m.custom.handoff; })
      .filter(Boolean)[0] || data.handoff;
    if (!found) return;
    if (found.case_no) body.dataset.caseNo = found.case_no;
    if (typeof found.on_duty === "boolean") body.dataset.handoffOnDuty = found.on_duty ? "1" : "0";
  }

  document.addEventListener("juzhu:replies", function (event) {
    if (hasHandoff(event.detail)) { start(); noteHandoff(event.detail); }
  });
})();
