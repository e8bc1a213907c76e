/* Staff console: (a) hotline script aid, (b) a station's bookings for a day.
 *
 * The verdict, the sentences to read, the checklist and the citations come
 * from the rules engine and its renderer through POST /staff/api/assess;
 * nothing here knows a legal condition. No city is chosen at first: the
 * caller's words (识别填入) give it, and what was understood (a county of
 * the other city, say) is kept when the city changes.
 */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var meta = null;
  var seg = {};            // fact -> chosen value of a button group (string form)
  var assessTimer = null;
  var assessSeq = 0;
  var STATION_KEY = "juzhu.staff.station";  // the station chosen last, remembered in this browser

  /* ---- helpers ---- */

  function api(path, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    if (options.json !== undefined) {
      options.method = options.method || "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.json);
      delete options.json;
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 401) { window.location.reload(); throw new Error("登录已过期"); }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || ("HTTP " + response.status));
          error.data = data;
          throw error;
        }
        return data;
      });
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function button(value, label) {
    var b = el("button", "", label);
    b.type = "button";
    b.dataset.value = String(value);
    b.setAttribute("aria-pressed", "false");
    return b;
  }

  function fillSeg(id, items) {
    var box = $(id);
    box.textContent = "";
    items.forEach(function (item) { box.appendChild(button(item.value, item.label)); });
  }

  function setSeg(fact, value) {
    var box = document.querySelector('.seg[data-fact="' + fact + '"]');
    if (value === undefined || value === null) delete seg[fact]; else seg[fact] = String(value);
    if (box) {
      Array.prototype.forEach.call(box.querySelectorAll("button"), function (b) {
        b.setAttribute("aria-pressed", String(seg[fact] === b.dataset.value));
      });
    }
    if (fact === "city") onCity();
    if (fact === "hukou_kind") onHukouKind();
  }

  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2) + "-" + ("0" + d.getDate()).slice(-2);
  }

  /* ---- tabs ---- */

  function showTab(which) {
    ["aid", "bookings"].forEach(function (name) {
      $("tab-" + name).setAttribute("aria-selected", String(name === which));
      $("panel-" + name).hidden = name !== which;
    });
    if (which === "bookings" && !$("b-station").options.length) loadStations();
    document.title = (which === "bookings" ? "预约名单" : "电话咨询助手") + " · 员工工作台";
  }

  /* ---- (a) script aid ---- */

  function city() { return meta && meta.cities.filter(function (c) { return c.id === seg.city; })[0]; }

  /* A county understood or chosen stays wanted when the city changes: shown again once its city is chosen. */
  function fillCounties(id, counties) {
    var select = $(id);
    var keep = select.value || select.dataset.wanted || "";
    select.length = 1;
    counties.forEach(function (name) { select.add(new Option(name, name)); });
    select.value = counties.indexOf(keep) >= 0 ? keep : "";
    select.dataset.wanted = keep;
  }

  function setCounty(id, county) {
    var select = $(id);
    select.dataset.wanted = county || "";
    select.value = county && Array.prototype.some.call(select.options, function (o) { return o.value === county; }) ? county : "";
  }

  function onCity() {
    var c = city();
    fillCounties("f-hukou_county", c ? c.counties : []);
    fillCounties("f-residence_county", c ? c.counties : []);
    $("registration-name").textContent = c ? c.registration : "居住登记";
    var local = document.querySelector('#f-hukou_kind button[data-value="local"]');
    local.textContent = c ? "本市（" + c.name + "）" : "本市";
  }

  function onHukouKind() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-when]"), function (node) {
      node.hidden = node.dataset.when !== seg.hukou_kind;
    });
  }

  function monthsField(fact, facts, texts) {
    var raw = $("f-" + fact).value.trim();
    if (!raw) return;
    if (/^\d+$/.test(raw)) facts[fact] = parseInt(raw, 10);
    else texts[fact] = raw;
  }

  function collect() {
    var facts = { city: seg.city };
    var texts = {};
    if ($("f-as_of").value) facts.as_of = $("f-as_of").value;
    if (seg.nationality && seg.nationality !== "cn") facts.nationality = seg.nationality;
    var c = city();
    if (seg.hukou_kind === "local" && c) {
      var hukou = { city: c.name };
      if ($("f-hukou_county").value) hukou.county = $("f-hukou_county").value;
      if ($("f-hukou_township").value.trim()) hukou.township = $("f-hukou_township").value.trim();
      facts.hukou = hukou;
    } else if (seg.hukou_kind === "other") {
      var province = $("f-hukou_province").value.trim();
      var other = $("f-hukou_city").value.trim();
      facts.hukou = {};
      if (province) facts.hukou.province = province;
      if (other) facts.hukou.city = other;
      if (!province && !other) facts.hukou.city = "外地";
    }
    var residence = {};
    if ($("f-residence_county").value) residence.county = $("f-residence_county").value;
    if ($("f-residence_township").value.trim()) residence.township = $("f-residence_township").value.trim();
    if (residence.county || residence.township) facts.residence = residence;
    monthsField("lived_months", facts, texts);
    if ($("f-never_registered").checked) facts.registered_months = null;
    else monthsField("registered_months", facts, texts);
    monthsField("supplementary_proof_months", facts, texts);
    ["housing", "employment", "study"].forEach(function (fact) { if (seg[fact]) facts[fact] = seg[fact]; });
    ["by_proxy", "disabled", "mobility_impaired"].forEach(function (fact) {
      if (seg[fact] !== undefined) facts[fact] = seg[fact] === "true";
    });
    var age = $("f-age").value.trim();
    if (age !== "" && /^\d+$/.test(age)) facts.age = parseInt(age, 10);
    return { facts: facts, texts: texts };
  }

  function scheduleAssess() {
    clearTimeout(assessTimer);
    assessTimer = setTimeout(assess, 150);
  }

  function assess() {
    if (!seg.city) { showNoCity(); return; }
    var request = collect();
    var mine = ++assessSeq;
    api("/staff/api/assess", { json: request }).then(function (data) {
      if (mine !== assessSeq) return;
      $("error").hidden = true;
      show(data);
    }).catch(function (error) {
      if (mine !== assessSeq) return;
      $("error").textContent = "无法判断：" + error.message;
      $("error").hidden = false;
      showParsed((error.data && error.data.parsed) || {}, (error.data && error.data.problems) || {});
    });
  }

  function showParsed(parsed, problems) {
    ["lived_months", "registered_months", "supplementary_proof_months"].forEach(function (fact) {
      var out = $("p-" + fact);
      out.classList.remove("bad");
      if (fact in parsed) out.textContent = "＝ " + parsed[fact] + " 个月";
      else if (problems[fact]) { out.textContent = problems[fact]; out.classList.add("bad"); }
      else out.textContent = "";
    });
  }

  function showNoCity() {
    var verdict = $("verdict");
    verdict.className = "verdict v-undetermined";
    verdict.textContent = "请先选择城市，或粘贴来电人的原话后点“识别填入”";
    verdict.dataset.verdict = "no_city";
    $("say-now").hidden = true;
    $("next").hidden = true;
  }

  /* What the operator says now: the verdict, why (one sentence with its article, when it is
     not a plain yes), what to bring, where and how long (only for someone who will apply), and
     the caveats (the regulation past its validity, what is still open), one sentence each. */
  function showSayNow(data) {
    var decision = data.decision;
    var brief = data.brief || {};
    var box = $("say-now");
    box.hidden = false;
    $("say-verdict").textContent = data.verdict_label + "。";
    var why = $("say-why");
    why.textContent = "";
    if (brief.why) why.appendChild(el("li", "", brief.why));
    $("say-why-row").hidden = !brief.why;
    var bring = $("say-bring");
    bring.textContent = "";
    decision.materials.forEach(function (m) { bring.appendChild(el("li", "", m.text)); });
    $("say-bring-row").hidden = !decision.materials.length;
    $("say-where").textContent = brief.where || "";
    $("say-where-row").hidden = !brief.where;
    $("say-time").textContent = brief.processing || "";
    $("say-time-row").hidden = !brief.processing;
    var notes = $("say-notes");
    notes.textContent = "";
    (brief.notes || []).forEach(function (note) { notes.appendChild(el("li", "", note)); });
    $("say-notes-row").hidden = !(brief.notes || []).length;
  }

  function show(data) {
    var decision = data.decision;
    var verdict = $("verdict");
    verdict.className = "verdict v-" + decision.verdict;
    verdict.textContent = data.verdict_label;
    verdict.dataset.verdict = decision.verdict;
    $("script").textContent = data.text;
    showSayNow(data);
    showParsed(data.parsed || {}, data.problems || {});

    var materials = $("materials");
    materials.textContent = "";
    decision.materials.forEach(function (m) {
      materials.appendChild(el("li", "", m.text + "（" + m.articles.join("、") + "）"));
    });
    if (!decision.materials.length) materials.appendChild(el("li", "", "—"));

    var citations = $("citations");
    citations.textContent = "";
    decision.citations.forEach(function (c) {
      citations.appendChild(el("li", "", "《" + c.source + "》" + c.article));
    });

    Array.prototype.forEach.call(document.querySelectorAll(".row.ask"), function (r) { r.classList.remove("ask"); });
    var next = data.next;
    $("next").hidden = !next;
    if (next) {
      $("next-question").textContent = next.question;
      var box = $("next-choices");
      box.textContent = "";
      box.dataset.fact = next.fact;
      next.choices.forEach(function (choice) { box.appendChild(button(choice.value, choice.label)); });
      box.hidden = !next.choices.length;
      var row = document.querySelector('[data-for~="' + next.fact + '"]');
      if (row) {
        row = row.closest(".row") || row;
        row.classList.add("ask");
      }
    }
  }

  function clearForm() {
    $("facts-form").reset();
    $("f-words").value = "";
    ["f-hukou_county", "f-residence_county"].forEach(function (id) { setCounty(id, ""); });
    Object.keys(seg).forEach(function (fact) { setSeg(fact, undefined); });
    setSeg("nationality", "cn");
    $("f-as_of").value = today();
    onHukouKind();
    showParsed({}, {});
    assess();
  }

  /* Facts found in the caller's words fill the form; the operator checks them. */
  function applyFacts(found) {
    if (found.city && meta.cities.some(function (c) { return c.id === found.city; })) setSeg("city", found.city);
    var c = city();
    if (found.nationality) setSeg("nationality", found.nationality);
    if (found.hukou) {
      var h = found.hukou;
      if (c && (h.city === c.name || (!h.city && h.county && c.counties.indexOf(h.county) >= 0))) {
        setSeg("hukou_kind", "local");
        if (h.county) setCounty("f-hukou_county", h.county);
        if (h.township) $("f-hukou_township").value = h.township;
      } else {
        setSeg("hukou_kind", "other");
        if (h.province) $("f-hukou_province").value = h.province;
        if (h.city) $("f-hukou_city").value = h.city;
      }
    }
    if (found.residence) {
      if (found.residence.county) setCounty("f-residence_county", found.residence.county);
      if (found.residence.township) $("f-residence_township").value = found.residence.township;
    }
    ["lived_months", "supplementary_proof_months"].forEach(function (fact) {
      if (typeof found[fact] === "number") $("f-" + fact).value = String(found[fact]);
    });
    if ("registered_months" in found) {
      $("f-never_registered").checked = found.registered_months === null;
      $("f-registered_months").value = found.registered_months === null ? "" : String(found.registered_months);
    }
    ["housing", "employment", "study"].forEach(function (fact) { if (found[fact]) setSeg(fact, found[fact]); });
    ["by_proxy", "disabled", "mobility_impaired"].forEach(function (fact) {
      if (typeof found[fact] === "boolean") setSeg(fact, String(found[fact]));
    });
    if (typeof found.age === "number") $("f-age").value = String(found.age);
  }

  function extract() {
    var text = $("f-words").value.trim();
    if (!text) return;
    // Read first without the city chosen: a caller's words may name the other city or one of its
    // counties ("在沾益住了5个月"). Only words that name no city are read again in the chosen one
    // (where "本地" means that city).
    api("/staff/api/extract", { json: { text: text, city: null } }).then(function (data) {
      var found = data.facts || {};
      if (found.city || !seg.city) return found;
      return api("/staff/api/extract", { json: { text: text, city: seg.city } }).then(function (again) {
        return again.facts || {};
      });
    }).then(function (found) {
      applyFacts(found);
      assess();
    }).catch(function (error) {
      $("error").textContent = "无法识别：" + error.message;
      $("error").hidden = false;
    });
  }

  /* A click on a "next question" answer sets that fact in the form. */
  function answerNext(fact, value) {
    if (document.querySelector('.seg[data-fact="' + fact + '"]')) { setSeg(fact, value); }
    assess();
  }

  /* ---- (b) bookings ---- */

  function countyRank(station) {
    var known = meta && meta.cities.filter(function (c) { return c.id === station.city; })[0];
    var at = known ? known.counties.indexOf(station.county) : -1;
    return at < 0 ? 999 : at;
  }

  /* Stations grouped by city, in each city's county order ("县区 · 派出所"); the last choice comes back. */
  function loadStations() {
    api("/staff/api/stations").then(function (data) {
      var select = $("b-station");
      select.textContent = "";
      var groups = {};
      var stations = data.stations.slice().sort(function (a, b) {
        return a.city === b.city ? countyRank(a) - countyRank(b) || (a.name < b.name ? -1 : 1) : (a.city < b.city ? -1 : 1);
      });
      stations.forEach(function (s) {
        if (!groups[s.city]) {
          var known = meta && meta.cities.filter(function (c) { return c.id === s.city; })[0];
          groups[s.city] = el("optgroup");
          groups[s.city].label = known ? known.name : s.city;
          select.appendChild(groups[s.city]);
        }
        var short = s.name.indexOf("局") >= 0 ? s.name.slice(s.name.lastIndexOf("局") + 1) : s.name;
        groups[s.city].appendChild(new Option((s.county ? s.county + " · " : "") + (short || s.name), s.id));
      });
      var wanted = new URLSearchParams(window.location.search).get("station") || remembered();
      if (wanted && stations.some(function (s) { return s.id === wanted; })) select.value = wanted;
      loadBookings();
    }).catch(bookingError);
  }

  function remembered() {
    try { return window.localStorage.getItem(STATION_KEY); } catch (error) { return null; }
  }

  function remember(station) {
    try { window.localStorage.setItem(STATION_KEY, station); } catch (error) { /* private mode: not kept */ }
  }

  function bookingError(error) {
    showBookingNotice("无法读取预约：" + error.message);
  }

  function showBookingNotice(text) {
    $("b-error").textContent = text;
    $("b-error").hidden = false;
  }

  var STATUS = { booked: "已预约", attended: "到场", no_show: "未到", cancelled: "已取消" };

  function loadBookings() {
    var station = $("b-station").value;
    var date = $("b-date").value;
    if (!station || !date) return;
    remember(station);
    var query = "station=" + encodeURIComponent(station) + "&date=" + encodeURIComponent(date);
    $("b-csv").href = "/staff/api/bookings.csv?" + query;
    api("/staff/api/bookings?" + query).then(function (data) {
      $("b-error").hidden = true;
      var tbody = document.querySelector("#b-table tbody");
      tbody.textContent = "";
      var counts = { booked: 0, attended: 0, no_show: 0, cancelled: 0 };
      // Attendance is marked on the day itself: before it the buttons say why they wait.
      var future = data.markable === false;
      data.bookings.forEach(function (b) {
        counts[b.status] = (counts[b.status] || 0) + 1;
        tbody.appendChild(bookingRow(b, future));
      });
      $("b-future").hidden = !(future && data.bookings.length);
      if (!data.bookings.length) {
        var tr = el("tr");
        var td = el("td", "", "这一天没有预约。");
        td.colSpan = 6;
        tr.appendChild(td);
        tbody.appendChild(tr);
      }
      $("b-summary").textContent = data.station.name + " · " + data.date + "：共 " + data.bookings.length + " 个预约，"
        + "待到场 " + counts.booked + "，到场 " + counts.attended + "，未到 " + counts.no_show
        + (counts.cancelled ? "，已取消 " + counts.cancelled : "") + "。";
    }).catch(bookingError);
  }

  function bookingRow(b, future) {
    var tr = el("tr");
    tr.dataset.code = b.code;
    tr.appendChild(el("td", "", (b.start || "").slice(11, 16)));
    tr.appendChild(el("td", "code", b.code));
    tr.appendChild(el("td", "", b.name + (b.party > 1 ? "（共" + b.party + "人）" : "")));  // a family visit
    tr.appendChild(el("td", "phone", b.phone));
    var statusCell = el("td");
    statusCell.appendChild(el("span", "status " + b.status, STATUS[b.status] || b.status));
    tr.appendChild(statusCell);
    var actions = el("td");
    var attend = el("button", "mark attend", "到场");
    attend.type = "button";
    attend.dataset.status = "attended";
    var absent = el("button", "mark absent", "未到");
    absent.type = "button";
    absent.dataset.status = "no_show";
    attend.disabled = future || b.status === "attended" || b.status === "cancelled";
    absent.disabled = future || b.status === "no_show" || b.status === "cancelled";
    if (future) attend.title = absent.title = "预约日期还没到，当天才能登记";
    actions.appendChild(attend);
    actions.appendChild(absent);
    tr.appendChild(actions);
    return tr;
  }

  function mark(code, status, row) {
    api("/staff/api/bookings/" + encodeURIComponent(code) + "/attendance", { json: { status: status } })
      .then(function () { $("b-error").hidden = true; loadBookings(); })
      .catch(function (error) { showBookingNotice("不能登记：" + error.message); });
  }

  /* ---- wiring ---- */

  function init(data) {
    meta = data;
    fillSeg("f-city", meta.cities.map(function (c) { return { value: c.id, label: c.name }; }));
    fillSeg("f-nationality", meta.nationality);
    fillSeg("f-housing", meta.choices.housing);
    fillSeg("f-employment", meta.choices.employment);
    fillSeg("f-study", meta.choices.study);
    $("f-as_of").value = today();
    $("b-date").value = new URLSearchParams(window.location.search).get("date") || today();
    setSeg("nationality", "cn");
    onCity();
    onHukouKind();
    assess();
    if (new URLSearchParams(window.location.search).get("tab") === "bookings") showTab("bookings");
  }

  document.addEventListener("click", function (event) {
    var b = event.target.closest("button");
    if (!b) return;
    var box = b.parentElement;
    if (box.classList.contains("next-choices")) { answerNext(box.dataset.fact, b.dataset.value); return; }
    if (box.classList.contains("seg") && box.dataset.fact) {
      var fact = box.dataset.fact;
      setSeg(fact, seg[fact] === b.dataset.value && fact !== "city" ? undefined : b.dataset.value);
      scheduleAssess();
      return;
    }
    if (box.classList.contains("quick")) {
      $(box.dataset.target).value = b.textContent;
      if (box.dataset.target === "f-registered_months") $("f-never_registered").checked = false;
      scheduleAssess();
      return;
    }
    if (b.classList.contains("mark")) { mark(b.closest("tr").dataset.code, b.dataset.status, b.closest("tr")); }
  });

  $("facts-form").addEventListener("input", function (event) {
    if (event.target.id === "f-words") return;
    if (event.target.id === "f-never_registered" && event.target.checked) $("f-registered_months").value = "";
    if (event.target.id === "f-registered_months" && event.target.value) $("f-never_registered").checked = false;
    scheduleAssess();
  });
  $("facts-form").addEventListener("change", scheduleAssess);
  $("facts-form").addEventListener("submit", function (event) { event.preventDefault(); });
  $("extract").addEventListener("click", extract);
  $("clear-form").addEventListener("click", clearForm);
  $("copy-text").addEventListener("click", function () {
    if (navigator.clipboard) navigator.clipboard.writeText($("script").textContent).catch(function () {});
  });
  $("tab-aid").addEventListener("click", function () { showTab("aid"); });
  $("tab-bookings").addEventListener("click", function () { showTab("bookings"); });
  $("bookings-form").addEventListener("submit", function (event) { event.preventDefault(); loadBookings(); });
  $("b-station").addEventListener("change", loadBookings);
  $("b-date").addEventListener("change", loadBookings);

  api("/staff/api/meta").then(init).catch(function (error) {
    $("error").textContent = "无法加载：" + error.message;
    $("error").hidden = false;
  });
})();
