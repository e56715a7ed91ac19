/* 复制 button: copies the receiver's "name phone address" to the clipboard.
   Uses the async Clipboard API where the page is a secure context (https, localhost,
   127.0.0.1) and falls back to a hidden textarea + execCommand on plain-http LAN hosts. */
(function () {
  "use strict";

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  function flash(button, label, cls) {
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = label;
    button.classList.add(cls);
    window.setTimeout(function () {
      button.textContent = original;
      button.classList.remove(cls);
    }, 1500);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".copy-btn");
    if (!button) { return; }
    event.preventDefault();
    copyText(button.getAttribute("data-copy")).then(
      function () { flash(button, "已复制", "copied"); },
      function () { flash(button, "复制失败", "copy-failed"); }
    );
  });

  // Keep the status select's badge colour in step with its value.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.classList || !select.classList.contains("status-select")) { return; }
    select.className = select.className.replace(/\bstatus-(pending|shipped|cancelled)\b/, "status-" + select.value);
  });
})();
