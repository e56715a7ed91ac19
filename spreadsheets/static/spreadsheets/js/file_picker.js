/* The import page's file picker (spreadsheets.admin.FilePickerInput): show the chosen files' names
   next to the Chinese 浏览… button, since the native input that would say it is out of sight. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("file-picker-input")) return;
    var name = input.parentNode.querySelector(".file-picker-name");
    var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
    name.textContent = names.length ? names.join("、") : name.dataset.empty;
    name.classList.toggle("chosen", !!(input.files && input.files.length));
  });
})();
