/* The 签注 due date for a caller (POST /staff/api/endorsement) and a note to print (issue 12).
 * Printing shows only the note: body.printing-note, see staff.css. */
(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }
  var form = $("endorsement-form");
  if (!form) return;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    $("e-error").hidden = true;
    fetch("/staff/api/endorsement", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ city: $("e-city").value, last: $("e-last").value })
    }).then(function (response) {
      if (response.status === 401) { window.location.reload(); throw new Error("登录已过期"); }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || ("HTTP " + response.status));
        return data;
      });
    }).then(function (data) {
      $("e-note").textContent = data.note;
      $("e-note-box").hidden = false;
    }).catch(function (error) {
      $("e-note-box").hidden = true;
      $("e-error").textContent = "无法计算：" + error.message;
      $("e-error").hidden = false;
    });
  });

  $("e-print").addEventListener("click", function () {
    document.body.classList.add("printing-note");
    window.print();
    document.body.classList.remove("printing-note");
  });
})();
