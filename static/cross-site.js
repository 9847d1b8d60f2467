// The "other site" of demo mode: in the learner's own browser, try what a malicious page
// would do to the app, then show what happened. Every text comes from the page (its language);
// the app's own report says what the server saw, since this page cannot read the app's answers.
(function () {
  "use strict";
  var app = document.body.getAttribute("data-app-origin");
  if (!app) return;
  // The visit id of the app's link: the app files this page's requests under it, and shows
  // this browser's attempts alone.
  var visit = encodeURIComponent(new URLSearchParams(location.search).get("visit") || "");
  var form = document.getElementById("logout-form");
  form.action = form.action + "?demo_visit=" + visit;

  function attempt(name) {
    return document.querySelector('[data-attempt="' + name + '"]');
  }
  function show(name, outcome, text) {
    var item = attempt(name);
    item.setAttribute("data-outcome", outcome);
    item.querySelector("[data-result]").textContent = text;
  }

  // 1. Read the app's cookies.
  var cookies = document.cookie;
  var cookieItem = attempt("read-cookies");
  if (/access_jwt|refresh_jwt/.test(cookies)) {
    show("read-cookies", "leaked", cookieItem.getAttribute("data-leaked"));
  } else if (cookies) {
    show("read-cookies", "blocked", cookieItem.getAttribute("data-others") + " " + cookies);
  } else {
    show("read-cookies", "blocked", cookieItem.getAttribute("data-empty"));
  }

  // 2. Read /userinfo with the browser's credentials.
  var fetchItem = attempt("fetch-userinfo");
  fetch(app + "/userinfo?demo_visit=" + visit, { credentials: "include" })
    .then(function (response) {
      show("fetch-userinfo", "leaked", fetchItem.getAttribute("data-read") + " " + response.status);
    }, function (error) {
      show("fetch-userinfo", "blocked", fetchItem.getAttribute("data-blocked") + " (" + error.message + ")");
    })
    .then(function () {
      // 3. Post a form to /logout, into a frame of this page.
      form.submit();
      return new Promise(function (resolve) { setTimeout(resolve, 1200); });
    })
    .then(function () {
      return fetch(app + "/demo/cross-site/report?visit=" + visit).then(function (r) { return r.json(); });
    })
    .then(function (answer) {
      var seen = answer.seen;
      report(seen);
      // Said as it was: a browser that was never logged in had nothing to lose.
      var state = answer.loggedIn === null ? "no-visit" : answer.loggedIn ? "logged-in" : "logged-out";
      document.body.setAttribute("data-logged-in", state);
      var postItem = attempt("post-logout");
      var post = seen.filter(function (s) { return s.method === "POST" && s.path === "/logout"; }).pop();
      if (!post) {
        show("post-logout", "unknown", postItem.getAttribute("data-unknown"));
      } else if (post.status === 403) {
        var refused = answer.loggedIn ? "data-refused" : "data-refused-anon";
        show("post-logout", "blocked", postItem.getAttribute(refused) + " (403)");
      } else {
        show("post-logout", "leaked", postItem.getAttribute("data-done") + " (" + post.status + ")");
      }
      document.body.setAttribute("data-done", "yes");
    })
    .catch(function (error) {
      document.body.setAttribute("data-done", "error: " + error.message);
    });

  function report(seen) {
    var rows = document.querySelector("[data-report-rows]");
    var names = {
      "same-origin": rows.getAttribute("data-same-origin"),
      "samesite": "SameSite=Strict"
    };
    seen.forEach(function (s) {
      var row = document.createElement("tr");
      row.setAttribute("data-seen", s.method + " " + s.path);
      [
        s.method + " " + s.path,
        s.cookieSent ? rows.getAttribute("data-yes") : rows.getAttribute("data-no"),
        String(s.status),
        s.refusedBy ? names[s.refusedBy] : "—",
        s.time + " UTC"
      ].forEach(function (text) {
        var cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      });
      rows.appendChild(row);
    });
  }
})();
