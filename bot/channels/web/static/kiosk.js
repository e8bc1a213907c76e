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

  var sender = null;
  var generation = 0;      // bumps on every reset; replies of an older conversation are dropped
  var used = false;         // anything happened in this conversation (worth clearing)
  var queue = Promise.resolve();
  var printable = { lines: null, qr: null, qrCaption: null };
  var idleTimer = null, warnTimer = null, countdownTimer = null;

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

  function showReplies(messages, busy) {
    var first = null;
    var previousText = null;
    messages.forEach(function (message) {
      var node = renderBot(message, busy, previousText);
      if (node && !first) first = node;
      if (typeof message.text === "string" && message.text) previousText = message.text;
    });
    if (!first) return;
    // Long answers (a verdict) are read from their top; short ones keep the bottom in view.
    var newHeight = log.scrollHeight - first.offsetTop;
    if (newHeight > log.clientHeight) first.scrollIntoView({ block: "start" });
    else log.scrollTop = log.scrollHeight;
    if (autoRead) speak(messages.map(function (m) { return m.text || ""; }).join("\n"));
  }

  function isVerdict(text) {
    return /^结论：/.test(text) || text.indexOf("需要带的材料：") >= 0;
  }

  /* previousText: the text sent just before in the same reply (a QR code's booking details). */
  function renderBot(message, busy, previousText) {
    var msg = el("div", "msg bot" + (busy ? " busy" : ""));
    var hasContent = false;
    var text = typeof message.text === "string" ? message.text : "";
    var custom = message.custom && typeof message.custom === "object" ? message.custom : null;
    var image = message.image || (custom && (custom.qr || custom.image)) || null;
    if (!text && custom && typeof custom.text === "string") text = custom.text;

    if (text) {
      var bubble = el("div", "bubble");
      if (isVerdict(text)) {
        msg.classList.add("verdict");
        bubble.appendChild(el("h2", "verdict-head", /\n□/.test(text) ? "您的办理结论和材料清单" : "您的办理结论"));
        bubble.appendChild(formatLines(text));
        bubble.appendChild(verdictTools(text));
        setPrintable(text);
      } else {
        bubble.appendChild(el("p", "text", text));
      }
      msg.appendChild(bubble);
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
      var caption = custom && (custom.code ? "预约码：" + custom.code : custom.caption);
      if (caption) holder.appendChild(el("p", "text", caption));
      msg.appendChild(holder);
      // On paper: the booking's words (this message's, else the one just before) and its code.
      var words = text || previousText;
      printable.qr = image;
      printable.qrCaption = [words && !isVerdict(words) ? words : null, caption].filter(Boolean).join("\n") || null;
      updatePrint();
      hasContent = true;
    }
    var buttons = message.buttons || (custom && custom.buttons) || [];
    if (buttons.length) {
      var group = el("div", "choices");
      buttons.forEach(function (b) {
        var button = el("button", "choice", b.title || b.payload);
        button.type = "button";
        button.dataset.payload = b.payload || b.title;
        group.appendChild(button);
      });
      msg.appendChild(group);
      hasContent = true;
    }
    if (!hasContent) return null;
    log.appendChild(msg);
    return msg;
  }

  /* The renderer's lines: "结论：…", headings ending in "：", "□ item", "！warning", "· advice". */
  function formatLines(text) {
    var box = el("div", "lines");
    var list = null;
    text.split("\n").forEach(function (line, index) {
      if (/^□\s*/.test(line)) {
        if (!list) { list = el("ul", "checklist"); box.appendChild(list); }
        list.appendChild(el("li", "", line.replace(/^□\s*/, "")));
        return;
      }
      list = null;
      var className = "line";
      if (index === 0) className += " first";
      else if (/^[^，。]{1,12}：$/.test(line)) className += " heading";
      else if (/^！/.test(line)) className += " warn";
      box.appendChild(el("p", className, line));
    });
    return box;
  }

  function verdictTools(text) {
    var tools = el("div", "tools");
    var print = el("button", "mini", "打印清单");
    print.type = "button";
    print.dataset.action = "print";
    tools.appendChild(print);
    if (canSpeak) {
      var read = el("button", "mini", "朗读");
      read.type = "button";
      read.dataset.action = "speak";
      read.dataset.text = text;
      tools.appendChild(read);
    }
    return tools;
  }

  function disableChoices() {
    Array.prototype.forEach.call(log.querySelectorAll(".choice:not(:disabled)"), function (b) { b.disabled = true; });
  }

  function showWelcome() {
    var template = document.getElementById("welcome-template");
    log.appendChild(document.importNode(template.content, true));
  }

  /* ---- print view ---- */

  function setPrintable(text) {
    printable.lines = text;
    updatePrint();
  }

  function updatePrint() {
    printBody.textContent = "";
    if (printable.lines) printBody.appendChild(formatLines(printable.lines));
    else printBody.appendChild(el("p", "sheet-empty", "还没有生成材料清单。"));
    printQr.textContent = "";
    printQr.hidden = !printable.qr;
    if (printable.qr) {
      printQr.appendChild(el("p", "", "预约二维码（到窗口时出示）"));
      var img = el("img");
      img.src = printable.qr;
      img.alt = "预约二维码";
      printQr.appendChild(img);
      if (printable.qrCaption) printQr.appendChild(el("p", "", printable.qrCaption));
    }
    printOpen.disabled = !(printable.lines || printable.qr);
    document.getElementById("print-time").textContent = new Date().toLocaleString("zh-CN", { hour12: false });
  }

  function openPrint() {
    updatePrint();
    printView.hidden = false;
    used = true;
  }

  function closePrint() { printView.hidden = true; }

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
    if (old && hadConversation) {
      // Forget the last person's conversation on the server too (best effort).
      post("/restart", true).catch(function () {});
    }
    sender = newSender();
    used = false;
    queue = Promise.resolve();
    printable = { lines: null, qr: null, qrCaption: null };
    log.textContent = "";
    input.value = "";
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
    closePrint();
    setPaper("a4");
    updatePrint();
    hideWarning();
    setWaiting(false);
    showWelcome();
    log.scrollTop = 0;
    body.dataset.sender = sender;
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

  function onIdle() {
    if (used || input.value) reset("idle");
    else armIdle(); // nothing to clear: the welcome screen stays as it is
  }

  function showWarning() {
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
    if (choice && !choice.disabled) {
      var group = choice.closest(".choices");
      Array.prototype.forEach.call(group.querySelectorAll(".choice"), function (b) { b.disabled = true; });
      choice.classList.add("chosen");
      send(choice.dataset.payload, choice.textContent);
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
  printOpen.addEventListener("click", openPrint);
  document.getElementById("print-close").addEventListener("click", closePrint);
  document.getElementById("print-now").addEventListener("click", function () { window.print(); });
  Array.prototype.forEach.call(document.querySelectorAll(".paper"), function (b) {
    b.addEventListener("click", function () { setPaper(b.dataset.paper); });
  });

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

  window.juzhuKiosk = { showReplies: showReplies };  // for kiosk-handoff.js: staff messages
  reset("start");
})();
