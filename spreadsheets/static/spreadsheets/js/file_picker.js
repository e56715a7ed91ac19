/* The import page's file picker (oms.importing.admin.FilePickerInput): show the chosen file's name
   next to the Chinese 浏览… button, since the native input that would say it is out of sight. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("file-picker-input")) return;
    var name = input.parentNode.querySelector(".file-picker-name");
    name.textContent = input.files && input.files.length ? input.files[0].name : name.dataset.empty;
    name.classList.toggle("chosen", !!(input.files && input.files.length));
  });
})();
