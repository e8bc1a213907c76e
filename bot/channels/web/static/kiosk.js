/* Service-hall kiosk: a touch-screen chat with the assistant.
 *
 * Talks to Rasa's REST channel through the web front's same-origin proxy
 * (POST /api/chat {sender, message} -> {messages: [...], busy, limited?}).
 * Whatever the status (200, 429 over the rate limit, ...), the messages the
 * server sends are what is shown: when Rasa cannot answer the server sends
 * its busy text, never an empty list. Only when no message comes at all (the
 * web front unreachable, an error without messages) does the kiosk show the
 * same busy text itself, from <body data-busy-text>. Each
 * conversation has a random sender id made here; "重新开始" and the idle
 * timeout forget it (and send /restart for it), clear the screen and start
 * a new one, so the next person never sees the last one's answers.
 *
 * Idle timeout: <body data-idle-seconds>, overridden by ?idle=SECONDS.
 *
 * A verdict is drawn from the structured decision the assistant sends with it
 * (custom {"decision": …}: verdict, materials, where); its label comes from
 * <body data-verdicts>. A booking's ticket (custom {code, qr, booking,
 * checklist}) is drawn as a ticket card; its text (which mentions a calendar
 * file this kiosk does not offer) is not shown. The printout carries the
 * visit (date, time, station, address, code, QR) and the checklist.
 */
(function () {
  "use strict";

  var body = document.body;
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var sendButton = document.getElementById("send");
  var thinking = document.getElementById("thinking");
  var printOpen = document.getElementById("print-open");
  var printView = document.getElementById("print-view");
  var printSheet = document.getElementById("print-sheet");
  var printBody = document.getElementById("print-body");
  var printQr = document.getElementById("print-qr");
  var idleWarning = document.getElementById("idle-warning");
  var idleCount = document.getElementById("idle-count");

  var params = new URLSearchParams(window.location.search);
  var idleSeconds = positive(params.get("idle")) || positive(body.dataset.idleSeconds) || 120;
  var idleMs = idleSeconds * 1000;
  var warnMs = Math.min(20000, idleMs / 2);  // the "还在使用吗" warning comes this long before
  var hotline = body.dataset.hotline || "12345";
  var BUSY = body.dataset.busyText
    || "系统繁忙，请稍后再试。您也可以拨打" + hotline + "政务服务便民热线咨询，或到办事窗口找工作人员帮助。";
  var canSpeak = "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;
  var VERDICTS = parseJson(body.dataset.verdicts);
  // The printout's time: the server's Beijing clock, carried forward by the kiosk's own (issue 20:
  // a kiosk set to UTC printed 05:53 for 13:53).
  var serverNow = Number(body.dataset.serverNow);
  var clockOffset = isFinite(serverNow) && serverNow > 0 ? serverNow - Date.now() : 0;
  function printedTime() {
    return new Date(Date.now() + clockOffset).toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
  }
  var COUNTIES = parseJson(body.dataset.counties);
  var STATION_PICKER_MIN = 6;  // more station buttons than this: the county is asked first

  var sender = null;
  var generation = 0;      // bumps on every reset; replies of an older conversation are dropped
  var used = false;         // anything happened in this conversation (worth clearing)
  var queue = Promise.resolve();
  var printable = emptyPrintable();
  var idleTimer = null, warnTimer = null, countdownTimer = null;

  function parseJson(text) {
    try { return JSON.parse(text || "{}") || {}; } catch (error) { return {}; }
  }

  function emptyPrintable() {
    // decision: the last verdict; ticket: the last booking; checklist: the last list of what to bring (text);
    // endorsement: the last 签注 due date ({deadline, note, …}), printed as a note to take home.
    // card: beside the last verdict, why (one sentence) and the caveats (custom.card, the renderer's).
    // slip: a hand-off nobody is on duty to take ({title, case_no, text}): printed to call or come back with.
    return { decision: null, card: null, ticket: null, checklist: null, qr: null, endorsement: null, slip: null };
  }

  function positive(value) {
    var number = parseFloat(value);
    return isFinite(number) && number > 0 ? number : 0;
  }

  function newSender() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "k" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /* ---- talking to Rasa (through /api/chat) ---- */

  function post(message, keepalive) {
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, message: message }),
      keepalive: !!keepalive,
      credentials: "same-origin",
    });
  }

  function send(message, shown) {
    message = (message || "").trim();
    if (!message) return;
    used = true;
    disableChoices();
    addUser(shown || message);
    var mine = generation;
    queue = queue.then(function () {
      if (mine !== generation) return;
      setWaiting(true);
      return post(message)
        .then(function (response) {
          // A refusal (429 over the rate limit) carries its own polite text: read the body whatever the status.
          return response.json().catch(function () { return null; }).then(function (data) {
            if (!data || !Array.isArray(data.messages) || (!data.messages.length && !data.handoff)) {
              throw new Error("HTTP " + response.status + " without messages");
            }
            return data;
          });
        })
        .then(function (data) {
          if (mine !== generation) return;
          showReplies(data.messages, !!(data.busy || data.limited));
          if (typeof CustomEvent === "function" && document.dispatchEvent) {  // kiosk-handoff.js listens
            document.dispatchEvent(new CustomEvent("juzhu:replies", { detail: data }));
          }
        })
        .catch(function () {
          if (mine !== generation) return;
          showReplies([{ text: BUSY }], true);
        })
        .then(function () {
          if (mine === generation) setWaiting(false);
          armIdle();
        });
    });
  }

  function setWaiting(waiting) {
    thinking.hidden = !waiting;
    sendButton.disabled = waiting;
    body.dataset.state = waiting ? "waiting" : "ready";
  }

  /* ---- rendering ---- */

  function addUser(text) {
    var msg = el("div", "msg user");
    var bubble = el("div", "bubble");
    bubble.appendChild(el("p", "text", text));
    msg.appendChild(bubble);
    log.appendChild(msg);
    log.scrollTop = log.scrollHeight;
  }

  /* Rasa's REST channel sends a message's custom payload as a message of its own, right after
     its text and buttons: a verdict's decision is put back together with its text here. */
  function joinDecisions(messages) {
    var joined = [];
    messages.forEach(function (message) {
      var previous = joined[joined.length - 1];
      if ((decisionOf(message) || readbackOf(message)) && !message.text && previous
          && typeof previous.text === "string" && previous.text && !previous.custom && !previous.image) {
        joined[joined.length - 1] = { text: previous.text, buttons: previous.buttons || message.buttons,
                                      custom: message.custom };
      } else {
        joined.push(message);
      }
    });
    return joined;
  }

  function showReplies(messages, busy) {
    messages = joinDecisions(messages);
    var first = null;
    messages.forEach(function (message) {
      var node = renderBot(message, busy);
      if (node && !first) first = node;
    });
    if (!first) return;
    // Long answers (a verdict) are read from their top; short ones keep the bottom in view.
    var newHeight = log.scrollHeight - first.offsetTop;
    if (newHeight > log.clientHeight) first.scrollIntoView({ block: "start" });
    else log.scrollTop = log.scrollHeight;
    if (autoRead) speak(messages.map(spokenText).join("\n"));
  }

  function decisionOf(message) {
    var custom = message && message.custom;
    var decision = custom && typeof custom === "object" ? custom.decision : null;
    return decision && typeof decision === "object" && typeof decision.verdict === "string" ? decision : null;
  }

  /* "What I understood" before a verdict (CONTRACT §2): custom {"readback": {"facts", "lines"}}. */
  /* Why and the caveats beside a verdict (custom.card: {why, notes, where, processing}). */
  function cardOf(message) {
    var custom = message && message.custom;
    var card = custom && typeof custom === "object" ? custom.card : null;
    if (!card || typeof card !== "object") return { why: null, notes: [], where: null };
    return { why: typeof card.why === "string" ? card.why : null,
             notes: Array.isArray(card.notes) ? card.notes.filter(function (n) { return typeof n === "string"; }) : [],
             where: typeof card.where === "string" ? card.where : null };
  }

  function readbackOf(message) {
    var custom = message && message.custom;
    var readback = custom && typeof custom === "object" ? custom.readback : null;
    return readback && typeof readback === "object" && Array.isArray(readback.lines) ? readback : null;
  }

  function readbackCard(readback) {
    var card = el("div", "bubble card readback");
    card.appendChild(el("h2", "card-head", "请核对，我理解的是："));
    var list = el("dl", "facts");
    readback.lines.forEach(function (line) {
      var parts = String(line).split("：");
      list.appendChild(el("dt", "", parts[0]));
      list.appendChild(el("dd", "", parts.slice(1).join("：")));
    });
    card.appendChild(list);
    card.appendChild(el("p", "ask", "对吗？不对的话，点“有不对的”，或直接说哪一项不对。"));
    return card;
  }

  function ticketOf(custom) {
    return custom && typeof custom === "object" && typeof custom.code === "string" && custom.code ? custom : null;
  }

  function spokenText(message) {
    var decision = decisionOf(message);
    if (decision) return verdictSpeech(decision, cardOf(message));
    var ticket = ticketOf(message.custom);
    if (ticket) return ticketSpeech(ticket);
    return message.text || "";
  }

  /* One message of the assistant: a verdict card, a booking's ticket, or text, image and buttons. */
  function renderBot(message, busy) {
    var msg = el("div", "msg bot" + (busy ? " busy" : ""));
    var hasContent = false;
    var text = typeof message.text === "string" ? message.text : "";
    var custom = message.custom && typeof message.custom === "object" ? message.custom : null;
    var decision = decisionOf(message);
    var ticket = ticketOf(custom);
    var image = message.image || (custom && (custom.qr || custom.image)) || null;
    var buttons = message.buttons || (custom && custom.buttons) || [];

    if (decision) {
      msg.classList.add("verdict");
      msg.dataset.verdict = decision.verdict;
      var summary = cardOf(message);
      msg.appendChild(verdictCard(decision, text, summary));
      if (buttons.length) msg.appendChild(choiceGroup(buttons, "choices next-steps"));
      printable.decision = decision;
      printable.card = summary;
      updatePrint();
      log.appendChild(msg);
      return msg;
    }
    var readback = readbackOf(message);
    if (readback) {
      msg.classList.add("readback");
      msg.appendChild(readbackCard(readback));
      if (buttons.length) msg.appendChild(choiceGroup(buttons, "choices"));
      log.appendChild(msg);
      return msg;
    }
    if (ticket) {
      msg.classList.add("ticket");
      msg.appendChild(ticketCard(ticket));
      printable.ticket = ticket;
      printable.qr = typeof ticket.qr === "string" && /^data:image\//.test(ticket.qr) ? ticket.qr : null;
      if (typeof ticket.checklist === "string" && /(^|\n)□/.test(ticket.checklist)) {
        printable.checklist = checklistPart(ticket.checklist);
      }
      updatePrint();
      if (buttons.length) msg.appendChild(choiceGroup(buttons, "choices"));
      log.appendChild(msg);
      return msg;
    }
    if (!text && custom && typeof custom.text === "string") text = custom.text;
    if (custom && custom.endorsement && typeof custom.endorsement.note === "string") {
      printable.endorsement = custom.endorsement;
      updatePrint();
    }
    var slip = custom && custom.handoff && custom.handoff.slip;
    if (slip && typeof slip.text === "string") {
      printable.slip = slip;
      updatePrint();
    }

    if (text) {
      var bubble = el("div", "bubble");
      bubble.appendChild(el("p", "text", text));
      msg.appendChild(bubble);
      // A list of what to bring (the materials answer, a booking's confirmation) can be printed.
      if (/(^|\n)□/.test(text)) { printable.checklist = checklistPart(text); updatePrint(); }
      hasContent = true;
    }
    // data: URLs and same-origin paths (the page's Content-Security-Policy allows nothing else).
    if (typeof image === "string" && /^(data:image\/|\/[^\/\\])/.test(image)) {
      var holder = el("div", "bubble");
      var img = el("img", "qr");
      img.alt = "预约二维码";
      img.addEventListener("load", function () { holder.scrollIntoView({ block: "nearest" }); });
      img.src = image;
      holder.appendChild(img);
      var caption = custom && custom.caption;
      if (caption) holder.appendChild(el("p", "text", caption));
      msg.appendChild(holder);
      hasContent = true;
    }
    if (printable.slip === slip && slip) {  // nobody on duty: the slip to print, beside the buttons
      var tools = el("div", "tools");
      var printSlip = el("button", "mini", "打印人工服务单");
      printSlip.type = "button";
      printSlip.dataset.action = "print";
      tools.appendChild(printSlip);
      msg.appendChild(tools);
    }
    if (buttons.length) {
      msg.appendChild(stationPicker(buttons) || choiceGroup(buttons, "choices"));
      hasContent = true;
    }
    if (!hasContent) return null;
    log.appendChild(msg);
    return msg;
  }

  function choiceGroup(buttons, className) {
    var group = el("div", className);
    buttons.forEach(function (b) { group.appendChild(choiceButton(b)); });
    return group;
  }

  function choiceButton(b) {
    var button = el("button", "choice", b.title || b.payload);
    button.type = "button";
    button.dataset.payload = b.payload || b.title;
    return button;
  }

  function articlesText(articles) {
    return Array.isArray(articles) && articles.length ? "（" + articles.join("、") + "）" : "";
  }

  function materialsOf(decision) {
    return (Array.isArray(decision.materials) ? decision.materials : []).filter(function (m) {
      return m && typeof m.text === "string";
    });
  }

  /* The verdict card: the verdict, why (when it is not a plain yes), what to bring, where (only
     for someone who will apply), the caveats one sentence each; the full text one tap away. */
  function verdictCard(decision, text, summary) {
    summary = summary || { why: null, notes: [], where: null };
    var card = el("div", "bubble card");
    var label = VERDICTS[decision.verdict] || decision.verdict;
    card.appendChild(el("h2", "verdict-label v-" + decision.verdict, label));
    if (summary.why) card.appendChild(el("p", "why", summary.why));
    var materials = materialsOf(decision);
    if (materials.length) {
      card.appendChild(el("h3", "card-head", "需要带的材料"));
      var list = el("ul", "checklist");
      materials.forEach(function (m) {
        var item = el("li", "", m.text);
        item.appendChild(el("span", "articles", articlesText(m.articles)));
        list.appendChild(item);
      });
      card.appendChild(list);
    }
    if (summary.where) {
      var where = el("p", "where");
      where.appendChild(el("strong", "", "办理地点："));
      where.appendChild(el("span", "", summary.where));
      card.appendChild(where);
    }
    if (summary.notes.length) {
      var notes = el("ul", "notes");
      summary.notes.forEach(function (note) { notes.appendChild(el("li", "", note)); });
      card.appendChild(notes);
    }
    var tools = el("div", "tools");
    var print = el("button", "mini", "打印清单");
    print.type = "button";
    print.dataset.action = "print";
    tools.appendChild(print);
    if (canSpeak) {
      var read = el("button", "mini", "朗读结论");
      read.type = "button";
      read.dataset.action = "speak";
      read.dataset.text = verdictSpeech(decision, summary);
      tools.appendChild(read);
    }
    card.appendChild(tools);
    if (text) {
      var details = el("details", "full");
      if (decision.verdict === "undetermined") details.open = true;
      details.appendChild(el("summary", "", "完整说明、理由和依据"));
      details.appendChild(el("p", "text", text));
      card.appendChild(details);
    }
    return card;
  }

  function verdictSpeech(decision, summary) {
    summary = summary || { why: null, notes: [], where: null };
    var parts = [VERDICTS[decision.verdict] || "", summary.why];
    var materials = materialsOf(decision);
    if (materials.length) {
      parts.push("需要带的材料：" + materials.map(function (m) { return m.text; }).join("；"));
    }
    if (summary.where) parts.push("办理地点：" + summary.where);
    return parts.concat(summary.notes).filter(Boolean).join("。").replace(/。。/g, "。");
  }

  function ticketFacts(ticket) {
    var booking = ticket.booking && typeof ticket.booking === "object" ? ticket.booking : {};
    return [["时间", booking.time || booking.start], ["办理点", booking.station], ["地址", booking.address],
            ["电话", booking.station_phone]].filter(function (row) { return typeof row[1] === "string" && row[1]; });
  }

  /* The booking code, large, and the visit (date, time, station, address, phone): the ticket and the printout. */
  function appendCodeAndVisit(parent, ticket) {
    var code = el("p", "booking-code");
    code.appendChild(el("span", "booking-code-label", "预约码"));
    code.appendChild(el("span", "booking-code-value", ticket.code));
    parent.appendChild(code);
    var facts = el("dl", "ticket-facts");
    ticketFacts(ticket).forEach(function (row) {
      facts.appendChild(el("dt", "", row[0]));
      facts.appendChild(el("dd", "", row[1]));
    });
    parent.appendChild(facts);
  }

  /* The booking's ticket: the code large, the visit, the QR code to show at the window. */
  function ticketCard(ticket) {
    var card = el("div", "bubble card ticket-card");
    card.appendChild(el("h2", "ticket-head", "预约成功"));
    appendCodeAndVisit(card, ticket);
    if (typeof ticket.qr === "string" && /^data:image\//.test(ticket.qr)) {
      var img = el("img", "qr");
      img.alt = "预约二维码，预约码 " + ticket.code;
      img.src = ticket.qr;
      card.appendChild(img);
      card.appendChild(el("p", "text", "到窗口时出示这个二维码或预约码。可以点“打印”把预约单打印出来。"));
    }
    return card;
  }

  function ticketSpeech(ticket) {
    return ["预约成功", "预约码 " + ticket.code.split("").join(" ")].concat(ticketFacts(ticket).map(function (row) {
      return row[0] + "：" + row[1];
    })).join("。");
  }

  /* Station buttons (many, one per county): the county first, in the city's order, then its stations. */
  function stationPicker(buttons) {
    if (buttons.length <= STATION_PICKER_MIN) return null;
    if (!buttons.every(function (b) { return /booking_station/.test(b.payload || ""); })) return null;
    var city = null;
    var byCounty = {};
    var ok = buttons.every(function (b) {
      var county = String(b.title || "").split(/\s+/)[0];
      var found = Object.keys(COUNTIES).filter(function (id) { return COUNTIES[id].counties.indexOf(county) >= 0; })[0];
      if (!found || (city && found !== city)) return false;
      city = found;
      (byCounty[county] = byCounty[county] || []).push(b);
      return true;
    });
    if (!ok) return null;
    var picker = el("div", "station-picker");
    picker.appendChild(el("p", "picker-question", "请先选您住的县（市、区）："));
    var counties = el("div", "choices counties");
    COUNTIES[city].counties.forEach(function (county) {
      if (!byCounty[county]) return;
      var b = el("button", "choice county", county);
      b.type = "button";
      b.dataset.county = county;
      counties.appendChild(b);
    });
    picker.appendChild(counties);
    Object.keys(byCounty).forEach(function (county) {
      var group = choiceGroup(byCounty[county], "choices stations");
      group.dataset.county = county;
      group.hidden = true;
      var back = el("button", "choice other-county", "换一个县");
      back.type = "button";
      back.dataset.back = "1";
      group.appendChild(back);
      picker.appendChild(group);
    });
    return picker;
  }

  function pickCounty(picker, county) {
    picker.querySelector(".counties").hidden = !!county;
    picker.querySelector(".picker-question").textContent = county ? "请选择" + county + "的办理点：" : "请先选您住的县（市、区）：";
    Array.prototype.forEach.call(picker.querySelectorAll(".stations"), function (group) {
      group.hidden = group.dataset.county !== county;
    });
    var first = picker.querySelector(county ? ".stations:not([hidden]) .choice" : ".counties .choice");
    if (first) first.focus();
  }

  /* The lines of a text from its first list line on (the list of what to bring, with its heading). */
  function checklistPart(text) {
    var lines = text.split("\n");
    var first = lines.findIndex(function (line) { return /^□/.test(line); });
    var from = first > 0 && /：$/.test(lines[first - 1]) ? first - 1 : Math.max(first, 0);
    return lines.slice(from).filter(function (line) { return /^(□|！)/.test(line) || /：$/.test(line); }).join("\n");
  }

  /* A checklist text (the renderer's, as the chat showed it) on paper: "□ item" as boxes. */
  function formatChecklist(text) {
    var box = el("div", "lines");
    var list = null;
    text.split("\n").forEach(function (line) {
      if (/^□\s*/.test(line)) {
        if (!list) { list = el("ul", "checklist"); box.appendChild(list); }
        list.appendChild(el("li", "", line.replace(/^□\s*/, "")));
        return;
      }
      list = null;
      if (line.trim()) box.appendChild(el("p", "line" + (/^！/.test(line) ? " warn" : /：$/.test(line) ? " heading" : ""), line));
    });
    return box;
  }

  function disableChoices() {
    Array.prototype.forEach.call(log.querySelectorAll(".choice:not(:disabled)"), function (b) { b.disabled = true; });
  }

  function showWelcome() {
    var template = document.getElementById("welcome-template");
    log.appendChild(document.importNode(template.content, true));
  }

  /* ---- print view ---- */

  function updatePrint() {
    var decision = printable.decision, ticket = printable.ticket, endorsement = printable.endorsement;
    var title = document.getElementById("print-title");
    printBody.textContent = "";
    if (printable.slip && !ticket) {
      // A hand-off nobody was on duty to take: the case number, the hotline, the hours.
      if (title) title.textContent = printable.slip.title || "人工服务单";
      printBody.appendChild(formatChecklist(printable.slip.text));
      printQr.textContent = "";
      printQr.hidden = true;
      printOpen.disabled = false;
      document.getElementById("print-time").textContent = printedTime();
      return;
    }
    if (endorsement && !ticket && !decision && !printable.checklist) {
      // Only a 签注 date was asked: the note with its deadline and what to bring.
      if (title) title.textContent = "居住证签注提醒";
      printBody.appendChild(formatChecklist(endorsement.note));
      printQr.textContent = "";
      printQr.hidden = true;
      printOpen.disabled = false;
      document.getElementById("print-time").textContent = printedTime();
      return;
    }
    if (title) title.textContent = ticket ? "居住证办理预约单" : "居住证办理材料清单";
    var summary = printable.card || { why: null, notes: [], where: null };
    if (decision) {
      var verdict = el("p", "line first", "结论：" + (VERDICTS[decision.verdict] || decision.verdict));
      printBody.appendChild(verdict);
      if (summary.why) printBody.appendChild(el("p", "line why", summary.why));
    }
    if (printable.checklist && (ticket || !decision)) {
      printBody.appendChild(formatChecklist(printable.checklist));
    } else if (decision && materialsOf(decision).length) {
      printBody.appendChild(el("p", "line heading", "需要带的材料："));
      var list = el("ul", "checklist");
      materialsOf(decision).forEach(function (m) { list.appendChild(el("li", "", m.text + articlesText(m.articles))); });
      printBody.appendChild(list);
      if (summary.where) printBody.appendChild(el("p", "line", "办理地点：" + summary.where));
    } else if (printable.checklist) {
      printBody.appendChild(formatChecklist(printable.checklist));
    }
    if (decision) summary.notes.forEach(function (note) { printBody.appendChild(el("p", "line note", "注意：" + note)); });
    if (!printBody.children.length) printBody.appendChild(el("p", "sheet-empty", "还没有生成材料清单。"));
    printQr.textContent = "";
    printQr.hidden = !ticket;
    if (ticket) {
      var facts = el("div", "ticket-text");
      appendCodeAndVisit(facts, ticket);
      printQr.appendChild(facts);
      if (printable.qr) {
        var figure = el("div", "ticket-qr");
        var img = el("img");
        img.src = printable.qr;
        img.alt = "预约二维码";
        figure.appendChild(img);
        figure.appendChild(el("p", "", "到窗口时出示"));
        printQr.appendChild(figure);
      }
    }
    printOpen.disabled = !(decision || ticket || printable.checklist);
    document.getElementById("print-time").textContent = printedTime();
  }

  function openPrint() {
    updatePrint();
    printView.hidden = false;
    used = true;
  }

  function closePrint() { printView.hidden = true; }

  /* A receipt roll's page is as long as what is printed on it (issue 20: an 80 mm receipt was
     297 mm long). Measured once the print layout applies (the print media query turning on,
     which is also what a PDF export emulates), and set as the receipt page's size through the
     CSS object model (the Content-Security-Policy allows no inline style). */
  var receiptRule = -1;
  function fitReceiptPage() {
    var sheet = null;
    Array.prototype.forEach.call(document.styleSheets, function (s) {
      if (s.href && /kiosk\.css/.test(s.href)) sheet = s;
    });
    if (!sheet) return;
    if (receiptRule >= 0) { sheet.deleteRule(receiptRule); receiptRule = -1; }
    if (!printSheet.classList.contains("paper-receipt")) return;
    var mm = Math.ceil(printSheet.scrollHeight * 25.4 / 96) + 10;  // the page's 3 mm margins, and a little
    receiptRule = sheet.insertRule("@page receipt { size: 80mm " + Math.max(60, mm) + "mm; margin: 3mm; }",
                                   sheet.cssRules.length);
  }
  var printMedia = window.matchMedia ? window.matchMedia("print") : null;
  if (printMedia) {
    var onPrintMedia = function (event) { if (event.matches) fitReceiptPage(); };
    if (printMedia.addEventListener) printMedia.addEventListener("change", onPrintMedia);
    else if (printMedia.addListener) printMedia.addListener(onPrintMedia);
  }
  window.addEventListener("beforeprint", fitReceiptPage);

  function setPaper(paper) {
    printSheet.classList.toggle("paper-a4", paper === "a4");
    printSheet.classList.toggle("paper-receipt", paper === "receipt");
    Array.prototype.forEach.call(document.querySelectorAll(".paper"), function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.paper === paper));
    });
  }

  /* ---- read aloud (browser speech synthesis, zh-CN) ---- */

  var autoRead = false;

  function speak(text) {
    if (!canSpeak || !text) return;
    window.speechSynthesis.cancel();
    var spoken = text.replace(/[□！·]/g, "").replace(/\n+/g, "。");
    var utterance = new SpeechSynthesisUtterance(spoken);
    utterance.lang = "zh-CN";
    utterance.rate = 0.95;
    var voices = window.speechSynthesis.getVoices() || [];
    var voice = voices.filter(function (v) { return /^zh(-|_)?CN/i.test(v.lang); })[0]
      || voices.filter(function (v) { return /^zh/i.test(v.lang); })[0];
    if (voice) utterance.voice = voice;
    window.speechSynthesis.speak(utterance);
  }

  function stopSpeaking() { if (canSpeak) window.speechSynthesis.cancel(); }

  /* ---- resetting: 重新开始 and the idle timeout ---- */

  function reset(reason) {
    var old = sender;
    var hadConversation = used;
    generation += 1;
    stopSpeaking();
    setAutoRead(false);
    setLargeText(false);
    if (old && hadConversation) {
      // Forget the last person's conversation on the server too (best effort).
      post("/restart", true).catch(function () {});
    }
    sender = newSender();
    used = false;
    queue = Promise.resolve();
    printable = emptyPrintable();
    log.textContent = "";
    input.value = "";
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
    closePrint();
    setPaper("a4");
    updatePrint();
    hideWarning();
    hideHandoffWait();
    setWaiting(false);
    showWelcome();
    log.scrollTop = 0;
    body.dataset.sender = sender;
    body.dataset.handoff = body.dataset.handoffOnDuty = body.dataset.caseNo = "";
    body.dataset.resets = String(generation);
    body.dataset.lastReset = reason || "";
    armIdle();
  }

  function clearTimers() {
    clearTimeout(idleTimer);
    clearTimeout(warnTimer);
    clearInterval(countdownTimer);
  }

  function armIdle() {
    clearTimers();
    hideWarning();
    warnTimer = setTimeout(showWarning, idleMs - warnMs);
    idleTimer = setTimeout(onIdle, idleMs);
  }

  /* While staff on duty have this conversation's hand-off, the idle reset waits for the person to
     choose (issue 20: a staff reply came during the countdown and the kiosk cleared anyway): "还在等
     工作人员" with 继续等待 / 结束. It gives up after HANDOFF_HOLD_MS without a touch (the case stays
     with staff; the person has the case number). */
  var HANDOFF_HOLD_MS = Math.max(600000, idleMs);
  var handoffWait = document.getElementById("handoff-wait");
  var holdTimer = null;

  function waitingForStaff() {
    return (body.dataset.handoff === "open" || body.dataset.handoff === "taken") && body.dataset.handoffOnDuty === "1";
  }

  function showHandoffWait() {
    hideWarning();
    document.getElementById("handoff-wait-case").textContent = body.dataset.caseNo || "";
    handoffWait.hidden = false;
    clearTimeout(holdTimer);
    holdTimer = setTimeout(function () { reset("idle"); }, HANDOFF_HOLD_MS);
  }

  function hideHandoffWait() {
    handoffWait.hidden = true;
    clearTimeout(holdTimer);
  }

  function onIdle() {
    if (waitingForStaff()) { showHandoffWait(); return; }
    if (used || input.value) reset("idle");
    else armIdle(); // nothing to clear: the welcome screen stays as it is
  }

  function showWarning() {
    if (waitingForStaff()) return;  // no countdown: onIdle asks instead
    if (!(used || input.value)) return;
    var left = Math.ceil(warnMs / 1000);
    idleCount.textContent = String(left);
    idleWarning.hidden = false;
    countdownTimer = setInterval(function () {
      left = Math.max(0, left - 1);
      idleCount.textContent = String(left);
    }, 1000);
  }

  function hideWarning() {
    idleWarning.hidden = true;
    clearInterval(countdownTimer);
  }

  /* ---- events ---- */

  ["pointerdown", "touchstart", "keydown", "input", "wheel"].forEach(function (name) {
    document.addEventListener(name, armIdle, { capture: true, passive: true });
  });

  log.addEventListener("click", function (event) {
    var choice = event.target.closest(".choice");
    if (choice && !choice.disabled && (choice.dataset.county || choice.dataset.back)) {
      pickCounty(choice.closest(".station-picker"), choice.dataset.county || null);
      return;
    }
    if (choice && !choice.disabled) {
      var group = choice.closest(".station-picker") || choice.closest(".choices");
      Array.prototype.forEach.call(group.querySelectorAll(".choice"), function (b) { b.disabled = true; });
      choice.classList.add("chosen");
      var title = choice.querySelector(".entry-title");
      send(choice.dataset.payload, title ? title.textContent : choice.textContent);
      return;
    }
    var tool = event.target.closest(".mini");
    if (!tool) return;
    if (tool.dataset.action === "print") openPrint();
    if (tool.dataset.action === "speak") speak(tool.dataset.text);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sendButton.disabled) return;
    var text = input.value;
    input.value = "";
    send(text);
  });

  document.getElementById("restart").addEventListener("click", function () { reset("restart"); });
  document.getElementById("idle-continue").addEventListener("click", armIdle);
  // Not on pointerdown (every touch re-arms the idle time): the choice is the button's.
  document.getElementById("handoff-keep-waiting").addEventListener("click", function () { hideHandoffWait(); armIdle(); });
  document.getElementById("handoff-end").addEventListener("click", function () { reset("ended"); });
  printOpen.addEventListener("click", openPrint);
  document.getElementById("print-close").addEventListener("click", closePrint);
  document.getElementById("print-now").addEventListener("click", function () { window.print(); });
  Array.prototype.forEach.call(document.querySelectorAll(".paper"), function (b) {
    b.addEventListener("click", function () { setPaper(b.dataset.paper); });
  });

  /* ---- large-text mode (for people who read small print with difficulty) ---- */

  var textSize = document.getElementById("text-size");

  function setLargeText(on) {
    body.classList.toggle("large-text", on);
    if (textSize) {
      textSize.setAttribute("aria-pressed", String(on));
      textSize.textContent = on ? "还原字号" : "大字";
    }
  }

  if (textSize) textSize.addEventListener("click", function () { setLargeText(!body.classList.contains("large-text")); });

  var readToggle = null;
  if (canSpeak) {
    readToggle = el("button", "tool", "朗读");
    readToggle.type = "button";
    readToggle.id = "read-aloud";
    readToggle.title = "开启后自动朗读回答";
    readToggle.setAttribute("aria-pressed", "false");
    readToggle.addEventListener("click", function () { setAutoRead(!autoRead); });
    document.querySelector(".bar-actions").insertBefore(readToggle, printOpen);
  }

  function setAutoRead(on) {
    autoRead = on;
    if (!readToggle) return;
    readToggle.setAttribute("aria-pressed", String(on));
    readToggle.textContent = on ? "朗读：开" : "朗读";
    if (!on) stopSpeaking();
  }

  // for kiosk-handoff.js: staff messages, shown and read with a fresh idle time
  window.juzhuKiosk = { showReplies: function (messages, busy) { showReplies(messages, busy); hideHandoffWait(); armIdle(); } };
  reset("start");
})();
