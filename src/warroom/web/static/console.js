// warroom console: ack-SLA countdowns and a CSRF-aware fetch helper. No inline scripts (CSP).
"use strict";

(function () {
  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function formatSpan(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h > 0) { return h + "h " + pad(m) + "m"; }
    return m + "m " + pad(sec) + "s";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(deadline)) { return; }
      var left = deadline - now;
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 2 * 60 * 1000);
      var label = el.getAttribute("data-label") || "Ack";
      el.textContent = left < 0 ? label + " overdue by " + formatSpan(left)
                                : label + " due in " + formatSpan(left);
    });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // For scripts calling the JSON API with the session cookie: unsafe methods need the token.
  window.warroomFetch = function (url, options) {
    var opts = options || {};
    opts.headers = opts.headers || {};
    opts.credentials = "same-origin";
    var method = (opts.method || "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") { opts.headers["X-CSRF-Token"] = csrfToken(); }
    return fetch(url, opts);
  };
  window.warroomTick = tick;

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
  });
})();

// Status-update preview without leaving the form; the button still works without JavaScript.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("update-form");
    var button = document.getElementById("preview-button");
    var box = document.getElementById("update-preview");
    if (!form || !button || !box || !window.warroomFetch) { return; }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var payload = {audience: data.get("audience") || "internal"};
      if (data.get("template")) { payload.template = data.get("template"); }
      if (data.get("body")) { payload.body = data.get("body"); }
      window.warroomFetch(form.getAttribute("data-preview-url"), {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify(payload)
      }).then(function (resp) {
        return resp.json().then(function (json) { return {ok: resp.ok, json: json}; });
      }).then(function (result) {
        box.hidden = false;
        // textContent, never innerHTML: the preview is untrusted text.
        document.getElementById("preview-template").textContent = result.ok ? result.json.template : "";
        document.getElementById("preview-subject").textContent = result.ok ? result.json.subject : (result.json.detail || "Preview failed");
        document.getElementById("preview-body").textContent = result.ok ? result.json.body : "";
      });
    });
  });
})();

// Choosing a template puts its first sentence in the message box (unless someone typed there).
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("update-template");
    var body = document.getElementById("update-body");
    if (!select || !body) { return; }
    var filled = "";
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var text = option ? option.getAttribute("data-fill") || "" : "";
      if (body.value.trim() === "" || body.value === filled) {
        body.value = text;
        filled = text;
      }
    });
  });
})();

// Phone: the navigation is a menu behind one button.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("menu-toggle");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var bar = button.closest(".topbar");
      var open = !bar.classList.contains("open");
      bar.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
})();
