// The page beacon: how long this page was visible, sent when the visitor hides or leaves
// it, so time on the site is time actually spent looking. First-party and dependency-free.
// navigator.sendBeacon sends a string as text/plain (no CORS preflight, no CSRF token:
// the endpoint accepts only same-origin requests of this one small shape; see
// shopstack/analytics/beacon.py). Without JavaScript nothing is sent; the server has
// counted the page view already.
(function () {
  "use strict";
  var script = document.currentScript;
  var endpoint = script && script.getAttribute("data-endpoint");
  if (!endpoint || !navigator.sendBeacon || !window.performance) return;

  var MAX_MS = 30 * 60 * 1000; // the server keeps at most this much per beacon
  var visibleSince = document.visibilityState === "visible" ? performance.now() : null;
  var engaged = 0;

  function pause() {
    if (visibleSince !== null) {
      engaged += performance.now() - visibleSince;
      visibleSince = null;
    }
  }

  function resume() {
    if (visibleSince === null && document.visibilityState === "visible") visibleSince = performance.now();
  }

  function send() {
    pause();
    var ms = Math.min(Math.round(engaged), MAX_MS);
    engaged = 0;
    if (ms < 1) return;
    navigator.sendBeacon(endpoint, JSON.stringify({ path: location.pathname, engaged_ms: ms }));
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") send();
    else resume();
  });
  // Leaving the page (also into the back/forward cache); pageshow restarts the clock on return.
  window.addEventListener("pagehide", send);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) resume();
  });
})();
