/* The order list's save bar: how many rows hold a number that is not saved yet, each such row
   marked. Enter itself needs no script: the form's first submit button is a hidden 保存
   (change_list.html), so a scanner's Enter saves and never runs the 动作 dropdown. */
(function () {
  "use strict";

  function refresh(form) {
    var inputs = form.querySelectorAll("#result_list td.field-tracking_number input[type=text]");
    var unsaved = 0;
    inputs.forEach(function (input) {
      // An open row's number field starts empty (what shipped is shown under it): anything in it is
      // not saved yet, also after a refused save that gave it back.
      var changed = input.value.trim() !== "";
      input.closest("tr").classList.toggle("unsaved", changed);
      if (changed) { unsaved += 1; }
    });
    var counter = form.querySelector(".unsaved-count");
    if (counter) { counter.textContent = unsaved ? unsaved + " 行已填写，尚未保存" : ""; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("changelist-form");
    if (!form) { return; }
    form.addEventListener("input", function () { refresh(form); });
    refresh(form);
  });
})();
