// Counts down the "expires in" of each token on the user-info page. The server's own "now"
// (data-now) is the starting point, so the count agrees with the server, not the PC clock.
(function () {
  "use strict";
  var root = document.querySelector("[data-now]");
  if (!root) return;
  var serverNow = Number(root.getAttribute("data-now"));
  var loadedAt = Date.now();
  // The page's words for day, hour, minute and second (data-units), e.g. "일 시간 분 초".
  var u = (root.getAttribute("data-units") || "d h m s").split(" ");
  function span(secs) {
    if (secs <= 0) return "0" + u[3];
    var d = Math.floor(secs / 86400), h = Math.floor((secs % 86400) / 3600);
    var m = Math.floor((secs % 3600) / 60), s = secs % 60;
    if (d > 0) return d + u[0] + " " + h + u[1] + " " + m + u[2] + " " + s + u[3];
    if (h > 0) return h + u[1] + " " + m + u[2] + " " + s + u[3];
    if (m > 0) return m + u[2] + " " + s + u[3];
    return s + u[3];
  }
  function tick() {
    var now = serverNow + Math.floor((Date.now() - loadedAt) / 1000);
    document.querySelectorAll(".countdown[data-exp]").forEach(function (el) {
      var left = Number(el.getAttribute("data-exp")) - now;
      el.textContent = span(left);
      el.classList.toggle("expired", left <= 0);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
