// htmx requests that change something carry Django's CSRF token from its cookie, so
// cached pages (the same HTML for every visitor) need no token of their own.
document.addEventListener("htmx:configRequest", function (event) {
  if (event.detail.verb === "get") return;
  var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]);
});
