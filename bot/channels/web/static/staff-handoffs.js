/* The staff console's hand-off queue and feedback view (issue 11).
 *
 * 人工接待: GET /staff/api/handoffs every few seconds (no reload): open hand-offs
 * first, newest first; the chosen case shows its facts, the renderer's text
 * (with articles, to read out), the conversation so far and a reply box.
 * Take, reply and close are POSTs to /staff/api/handoffs/{id}/…. Polling the
 * queue also tells the server that staff are on duty.
 * 评价统计: GET /staff/api/feedback?days=N, and the CSV link.
 * The session cookie authenticates (same-origin); nothing is stored in the browser.
 */
(function () {
  "use strict";
  var POLL_MS = 3000;
  var VERDICTS = {
    eligible: "可以申领", eligible_after_review: "审核后可申领", not_yet_eligible: "暂时还不能申领",
    not_eligible: "不符合条件", not_required: "不需要办理", not_covered: "不适用本办法", undetermined: "尚待了解",
  };
  var REASONS = { asked: "申请人要求转人工", not_understood: "助手两次没听懂", cannot_decide: "办法未写明，需人工判断" };
  var CHANNELS = { kiosk: "大厅自助机", telegram: "Telegram", wechat: "微信", rest: "接口" };
  var CITIES = { liaocheng: "聊城市", qujing: "曲靖市" };
  var WHO = { user: "申请人", bot: "智能助手", applicant: "申请人", staff: "工作人员", system: "系统" };

  function $(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  var cases = [];
  var chosen = null;
  var timer = null;
  var sending = false;

  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: {} };
    if (method === "POST") {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || ("HTTP " + response.status));
        return data;
      });
    });
  }

  function showError(id, message) {
    $(id).hidden = !message;
    $(id).textContent = message || "";
  }

  /* ---- tabs (staff.js knows its own two; these hide and show all four) ---- */

  function showPanel(which) {
    Array.prototype.forEach.call(document.querySelectorAll(".tabs .tab"), function (tab) {
      tab.setAttribute("aria-selected", String(tab.id === "tab-" + which));
    });
    Array.prototype.forEach.call(document.querySelectorAll("section.panel"), function (panel) {
      panel.hidden = panel.id !== "panel-" + which;
    });
    if (which === "feedback") loadFeedback();
  }

  /* ---- the queue ---- */

  function refresh() {
    if (timer) clearTimeout(timer);
    return api("GET", "/staff/api/handoffs")
      .then(function (data) {
        cases = data.handoffs || [];
        showError("h-error", "");
        renderQueue();
      })
      .catch(function (error) { showError("h-error", "人工接待队列暂时无法更新：" + error.message); })
      .then(function () { timer = setTimeout(refresh, POLL_MS); });
  }

  function renderQueue() {
    var waiting = cases.filter(function (c) { return c.status === "open"; }).length;
    var active = cases.filter(function (c) { return c.status !== "closed"; }).length;
    $("h-badge").hidden = !waiting;
    $("h-badge").textContent = String(waiting);
    $("h-status").textContent = active ? ("待处理 " + active + " 件，其中 " + waiting + " 件待接手") : "目前没有转人工的申请人。";
    var queue = $("h-queue");
    queue.textContent = "";
    var ordered = cases.filter(function (c) { return c.status !== "closed"; })
      .concat(cases.filter(function (c) { return c.status === "closed"; }));
    ordered.forEach(function (c) {
      var item = el("li", c.status);
      item.dataset.id = String(c.id);
      var button = el("button");
      button.type = "button";
      button.appendChild(el("span", "q-no", c.case_no));
      button.appendChild(el("span", null, (CITIES[c.city] || "城市未知") + " · " + (VERDICTS[c.verdict] || "尚无结论")));
      button.appendChild(el("span", "q-meta", c.created.slice(5, 16) + " · " + (CHANNELS[c.channel] || c.channel) + " · " +
        (REASONS[c.reason] || c.reason)));
      if (chosen === c.id) button.setAttribute("aria-current", "true");
      button.addEventListener("click", function () { choose(c.id); });
      item.appendChild(button);
      queue.appendChild(item);
    });
    renderCase();
  }

  function choose(id) {
    chosen = id;
    renderQueue();
    $("h-reply").focus();
  }

  function renderCase() {
    var c = cases.filter(function (x) { return x.id === chosen; })[0];
    $("h-case").hidden = !c;
    if (!c) return;
    $("h-title").textContent = "案件 " + c.case_no + " · " + (CITIES[c.city] || "城市未知");
    $("h-state").textContent = { open: "待接手", taken: "处理中", closed: "已结束" }[c.status] + " · " +
      (REASONS[c.reason] || "") + " · " + (CHANNELS[c.channel] || c.channel);
    $("h-take").hidden = c.status !== "open";
    $("h-close").hidden = c.status === "closed";
    $("h-reply-form").hidden = c.status === "closed";
    var facts = $("h-facts");
    facts.textContent = "";
    (c.fact_lines || []).forEach(function (line) {
      facts.appendChild(el("dt", null, line[0]));
      facts.appendChild(el("dd", null, line[1]));
    });
    if (!(c.fact_lines || []).length) facts.appendChild(el("dd", null, "申请人还没有说具体情况。"));
    $("h-text").textContent = c.text || "还没有足够的情况来判断。";
    var talk = $("h-talk");
    var atBottom = talk.scrollTop + talk.clientHeight >= talk.scrollHeight - 4;
    talk.textContent = "";
    (c.transcript || []).concat(c.messages || []).forEach(function (m) {
      var who = m.who || m.author;
      var line = el("li", who);
      line.appendChild(el("span", "who", WHO[who] || who));
      line.appendChild(document.createTextNode(m.text));
      talk.appendChild(line);
    });
    if (atBottom) talk.scrollTop = talk.scrollHeight;
  }

  function act(path, body) {
    if (chosen === null || sending) return Promise.resolve(false);
    sending = true;
    return api("POST", "/staff/api/handoffs/" + chosen + "/" + path, body)
      .then(function () { showError("h-error", ""); refresh(); return true; })
      .catch(function (error) { showError("h-error", "操作没有成功：" + error.message); return false; })
      .then(function (done) { sending = false; return done; });
  }

  /* ---- feedback ---- */

  function loadFeedback() {
    var days = $("fb-days").value || "30";
    $("fb-csv").href = "/staff/api/feedback.csv?days=" + encodeURIComponent(days);
    return api("GET", "/staff/api/feedback?days=" + encodeURIComponent(days))
      .then(function (data) {
        showError("fb-error", "");
        var parts = ["最近 " + data.days + " 天共 " + data.ratings + " 条评价"];
        if (data.average !== null) parts.push("平均 " + data.average + " 分（5 分为非常满意）");
        if (data.verdict_share !== null) parts.push("有结论的对话占 " + Math.round(data.verdict_share * 100) + "%");
        if (data.handoff_rate !== null) parts.push("转人工率 " + (data.handoff_rate * 100).toFixed(1) + "%");
        parts.push("转人工 " + data.handoffs + " 次");
        $("fb-summary").textContent = parts.join("；") + "。";
        var body = $("fb-levels").querySelector("tbody");
        body.textContent = "";
        var most = Math.max.apply(null, Object.keys(data.levels).map(function (k) { return data.levels[k]; }).concat([1]));
        ["5", "4", "3", "2", "1"].forEach(function (level) {
          var row = el("tr");
          row.dataset.level = level;
          row.appendChild(el("td", null, data.labels[level]));
          row.appendChild(el("td", null, String(data.levels[level])));
          var cell = el("td");
          var bar = el("span", "bar");
          bar.style.width = Math.round(200 * data.levels[level] / most) + "px";
          cell.appendChild(bar);
          row.appendChild(cell);
          body.appendChild(row);
        });
        var list = $("fb-comments");
        list.textContent = "";
        data.comments.forEach(function (c) {
          var item = el("li", null, c.comment);
          item.appendChild(el("span", "meta", c.label + " · " + (CITIES[c.city] || "") + " · " + c.created.slice(0, 16)));
          list.appendChild(item);
        });
        if (!data.comments.length) list.appendChild(el("li", "meta", "暂无意见。"));
      })
      .catch(function (error) { showError("fb-error", "评价统计暂时无法读取：" + error.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!$("panel-handoffs")) return;
    $("tab-handoffs").addEventListener("click", function () { showPanel("handoffs"); });
    $("tab-feedback").addEventListener("click", function () { showPanel("feedback"); });
    ["aid", "bookings"].forEach(function (name) {
      $("tab-" + name).addEventListener("click", function () {
        $("panel-handoffs").hidden = true;
        $("panel-feedback").hidden = true;
        $("tab-handoffs").setAttribute("aria-selected", "false");
        $("tab-feedback").setAttribute("aria-selected", "false");
      });
    });
    $("h-take").addEventListener("click", function () { act("take"); });
    $("h-close").addEventListener("click", function () { act("close"); });
    $("h-reply-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("h-reply").value.trim();
      if (!text) return;
      act("reply", { text: text }).then(function (done) { if (done) $("h-reply").value = ""; });
    });
    $("feedback-form").addEventListener("submit", function (event) { event.preventDefault(); loadFeedback(); });
    var tab = new URLSearchParams(window.location.search).get("tab");
    if (tab === "handoffs" || tab === "feedback") showPanel(tab);
    refresh();
  });
})();
