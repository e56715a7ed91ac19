/* 复制 button: copies the receiver's "name phone address" to the clipboard.
   The full text is not in the page (lists show it masked): it is fetched on click from the
   button's data-copy-url, an admin endpoint that records the reveal. Where ClipboardItem
   takes a promise (Chromium, Safari) the clipboard write starts inside the click, so the
   user activation is never lost while the fetch runs. Uses the async Clipboard API where the page is a secure context (https, localhost,
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

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function fetchText(url) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) { return data.text; });
  }

  function copyFromUrl(url) {
    var text = fetchText(url);
    if (navigator.clipboard && window.isSecureContext && window.ClipboardItem && navigator.clipboard.write) {
      var item = new window.ClipboardItem({
        "text/plain": text.then(function (value) { return new Blob([value], { type: "text/plain" }); })
      });
      return navigator.clipboard.write([item]).catch(function () { return text.then(copyText); });
    }
    return text.then(copyText);
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
    var url = button.getAttribute("data-copy-url");
    var copying = url ? copyFromUrl(url) : copyText(button.getAttribute("data-copy"));
    copying.then(
      function () { flash(button, "已复制", "copied"); },
      function () { flash(button, "复制失败", "copy-failed"); }
    );
  });
})();
