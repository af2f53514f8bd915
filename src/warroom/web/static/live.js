// warroom live updates: listen to /api/v1/live (SSE) and refresh the page's live regions.
// The server renders; on a change we fetch this page again and swap the regions marked
// data-live-region, skipping any region the user is typing or selecting in.
"use strict";

(function () {
  var pending = null;
  var refreshing = false;

  function setState(text, on) {
    var el = document.getElementById("live-state");
    if (!el) { return; }
    el.textContent = text;
    el.classList.toggle("on", !!on);
  }

  function busy(region) {
    var active = document.activeElement;
    return active && active !== document.body && region.contains(active) &&
      /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  function refresh() {
    if (refreshing) { schedule(); return; }
    refreshing = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live": "1" } })
      .then(function (resp) { return resp.ok ? resp.text() : Promise.reject(resp.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (region) {
          var name = region.getAttribute("data-live-region");
          var fresh = doc.querySelector('[data-live-region="' + name + '"]');
          if (!fresh || busy(region)) { return; }
          var seen = {};
          region.querySelectorAll("[data-seq],[data-incident-id]").forEach(function (el) {
            seen[el.getAttribute("data-seq") || el.getAttribute("data-incident-id")] = true;
          });
          region.replaceChildren.apply(region, Array.prototype.slice.call(fresh.childNodes));
          region.querySelectorAll("[data-seq],[data-incident-id]").forEach(function (el) {
            var key = el.getAttribute("data-seq") || el.getAttribute("data-incident-id");
            if (!seen[key]) { el.classList.add(el.hasAttribute("data-seq") ? "fresh" : "flash"); }
          });
        });
        document.body.setAttribute("data-live-version",
          String(Number(document.body.getAttribute("data-live-version") || "0") + 1));
        if (window.warroomTick) { window.warroomTick(); }
      })
      .catch(function () { /* the next event or reconnect refreshes again */ })
      .then(function () { refreshing = false; });
  }

  function schedule() {
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(function () { pending = null; refresh(); }, 150);
  }

  function connect() {
    if (!window.EventSource) { return; }
    var incident = document.body.getAttribute("data-incident");
    var url = "/api/v1/live" + (incident ? "?incident=" + encodeURIComponent(incident) : "");
    var source = new EventSource(url, { withCredentials: true });
    var opened = false;
    source.addEventListener("ready", function () {
      setState("live", true);
      // After a reconnect we may have missed changes: fetch once to catch up.
      if (opened) { schedule(); }
      opened = true;
    });
    source.addEventListener("incident", schedule);
    source.addEventListener("resync", schedule);
    // The session or token ended (logout, password change, deactivation): stop and show
    // the login page instead of reconnecting.
    source.addEventListener("ended", function () {
      source.close();
      setState("signed out", false);
      window.location.reload();
    });
    source.onerror = function () { setState("reconnecting…", false); };
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-live-region]")) { connect(); }
    else { setState("", false); }
  });
})();
