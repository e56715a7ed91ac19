/* 扫码发货 enhancements. The page works without this file (plain form POST + redirect).
   With it: the scan field never loses focus, number keys choose a carrier, Ctrl+Z undoes,
   scans are sent with fetch and the page part swapped in place (no reload), and each result
   plays a short tone made with the Web Audio API (nothing is downloaded). */
(function () {
  "use strict";

  var audio = null;
  var busy = false;
  var queue = [];

  function input() { return document.getElementById("scan-input"); }
  function app() { return document.getElementById("scan-app"); }
  function receiving() { return document.getElementById("scan-receive"); }
  function weight() { return document.getElementById("scan-weight"); }

  function keepFocus() {
    // While a return is being counted, focus stays in its fields; otherwise in the scan field.
    var receive = receiving();
    if (receive) {
      if (!receive.contains(document.activeElement)) {
        var first = receive.querySelector("input[type=text]");
        if (first) { first.focus(); first.select(); }
      }
      return;
    }
    var field = input();
    // The weight field keeps focus while a clerk (or a USB scale) types into it.
    if (weight() && document.activeElement === weight()) { return; }
    if (field && document.activeElement !== field) { field.focus(); }
  }

  function ensureAudio() {
    // Created on a key press (a user gesture), so browsers allow it to play.
    if (!audio) {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return null; }
      audio = new Ctx();
    }
    if (audio.state === "suspended") { audio.resume(); }
    return audio;
  }

  function tone(ctx, frequency, start, duration, type) {
    var osc = ctx.createOscillator();
    var gain = ctx.createGain();
    osc.type = type;
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, ctx.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.25, ctx.currentTime + start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + start + duration);
    osc.connect(gain).connect(ctx.destination);
    osc.start(ctx.currentTime + start);
    osc.stop(ctx.currentTime + start + duration + 0.02);
  }

  function playFor(state) {
    var ctx = audio;  // only after a key press has created it
    if (!ctx) { return; }
    if (state === "shipped" || state === "undone" || state === "received") {
      tone(ctx, 880, 0, 0.12, "sine");
      tone(ctx, 1320, 0.1, 0.12, "sine");
    } else if (state === "counted") {
      tone(ctx, 1040, 0, 0.06, "sine");
    } else if (state === "wrong") {
      // 验货: a wrong or surplus item: three harsh beeps, not to be missed on a noisy packing table.
      tone(ctx, 220, 0, 0.15, "square");
      tone(ctx, 220, 0.2, 0.15, "square");
      tone(ctx, 220, 0.4, 0.3, "square");
    } else if (state === "switched" || state === "skipped" || state === "return" || state === "checking" ||
               state === "checked" || state === "weighed") {
      tone(ctx, 660, 0, 0.1, "sine");
    } else if (state === "choose") {
      tone(ctx, 520, 0, 0.12, "triangle");
      tone(ctx, 520, 0.18, 0.12, "triangle");
    } else if (state === "error") {
      tone(ctx, 200, 0, 0.18, "square");
      tone(ctx, 150, 0.22, 0.3, "square");
    }
  }

  function swapIn(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("scan-app");
    if (!fresh) { window.location.assign(url); return; }
    app().replaceWith(document.adoptNode(fresh));
    if (url && url !== window.location.href) { window.history.replaceState(null, "", url); }
    playFor(fresh.getAttribute("data-state"));
    keepFocus();
  }

  function send(form, extra) {
    var data = new FormData(form);
    if (extra) { data.append(extra[0], extra[1]); }
    busy = true;
    // X-Scan-Fetch: the server answers with the next page itself instead of a redirect.
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Scan-Fetch": "1" } })
      .then(function (response) {
        var url = response.headers.get("X-Scan-Url");
        return response.text().then(function (html) {
          swapIn(html, url ? new URL(url, window.location.href).href : response.url);
        });
      })
      .catch(function () { form.submit(); })
      .then(function () {
        busy = false;
        var next = queue.shift();
        if (next) { submitCode(next); }
      });
  }

  function submitCode(code) {
    var form = document.getElementById("scan-form");
    if (!form) { return; }
    if (busy) { queue.push(code); return; }
    input().value = code;
    send(form);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!app() || !app().contains(form)) { return; }
    event.preventDefault();
    ensureAudio();
    if (form.id === "scan-form" && weight() && document.activeElement === weight()) {
      // Enter after a weight: keep it for the next parcel and go back to scanning.
      input().focus();
      return;
    }
    if (form.id === "scan-form") {
      var code = input().value;
      input().value = "";
      submitCode(code);
    } else if (!busy) {
      // The undo, skip and unskip forms: their button's name says what the server does.
      var button = event.submitter || form.querySelector("button[name]");
      send(form, [button.name, button.value]);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (!app()) { return; }
    ensureAudio();
    if (event.key === "Escape" && receiving()) { receiving().remove(); keepFocus(); return; }
    if (event.key === "Escape") { input().value = ""; keepFocus(); return; }
    if (event.key === "Tab" && receiving()) { return; }  // Tab moves between the counts
    if (event.key === "Tab" && event.target === weight()) { event.preventDefault(); input().focus(); return; }
    if (event.key === "Tab") { event.preventDefault(); keepFocus(); return; }  // focus stays in the field
    if ((event.ctrlKey || event.metaKey) && (event.key === "z" || event.key === "Z")) {
      var undo = document.querySelector(".scan-undo");
      event.preventDefault();
      if (undo && !busy) { send(undo, ["undo", "1"]); }
      return;
    }
    if ((event.ctrlKey || event.metaKey) && event.key === "ArrowRight") {
      var skip = document.getElementById("scan-skip");
      event.preventDefault();
      if (skip && !busy) { send(skip, ["skip", "1"]); }
      return;
    }
    var choosing = app().getAttribute("data-state") === "choose";
    if (choosing && /^[1-9]$/.test(event.key) && input().value === "") {
      event.preventDefault();
      submitCode(event.key);
      return;
    }
    if (event.target !== input() && event.target !== weight() &&
        !(receiving() && receiving().contains(event.target))) { keepFocus(); }
  }, true);

  document.addEventListener("focusout", function () { window.setTimeout(keepFocus, 0); });
  document.addEventListener("mousedown", function (event) {
    if (weight() && event.target === weight()) { window.setTimeout(function () { weight().focus(); }, 0); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    keepFocus();
    if (app()) { ensureAudio(); playFor(app().getAttribute("data-state")); }
  });
})();
