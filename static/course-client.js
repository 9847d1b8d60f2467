// The course-style client of demo mode (and of the CORS browser test): a page on another port
// of the same site, calling the app's JSON API exactly as the course's React client does
// (axios with withCredentials = true), here with fetch(..., { credentials: "include" }).
// Every text comes from the page (its language).
(function () {
  "use strict";
  var body = document.body;
  var api = body.getAttribute("data-api");
  var visit = body.getAttribute("data-visit");
  if (!api) return;
  var text = function (name) { return body.getAttribute("data-" + name) || ""; };

  function view(name) {
    body.setAttribute("data-state", name);
    document.querySelectorAll("[data-view]").forEach(function (section) {
      section.hidden = section.getAttribute("data-view") !== name;
    });
  }

  function error(kind, message) {
    var box = document.querySelector("[data-error]");
    box.setAttribute("data-error", kind);
    box.textContent = message;
    box.hidden = !kind;
  }

  // One call to the app: what the script itself could see of it.
  var calls = document.querySelector("[data-calls]");
  function call(method, path, json) {
    var init = { method: method, credentials: "include", headers: { "Accept": "application/json" } };
    if (json) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    var item = document.createElement("li");
    item.setAttribute("data-call", method + " " + path);
    calls.appendChild(item);
    return fetch(api + path, init).then(function (response) {
      var shown = response.redirected ? " → " + new URL(response.url).pathname : "";
      item.setAttribute("data-status", String(response.status));
      item.textContent = method + " " + path + shown + ": " + response.status;
      return response;
    }, function (failure) {
      item.setAttribute("data-status", "blocked");
      item.textContent = method + " " + path + ": " + text("blocked");
      throw failure;
    });
  }

  function mypage(user) {
    Object.keys(user).forEach(function (key) {
      var field = document.querySelector('[data-field="' + key + '"]');
      if (field) field.textContent = user[key];
    });
    view("mypage");
  }

  function whoAmI() {
    return call("GET", "/userinfo").then(function (response) {
      if (response.status === 200) return response.json().then(mypage);
      view("login");
    });
  }

  document.getElementById("login").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    error("", "");
    call("POST", "/login", {
      loginInfo: { userId: form.userId.value, password: form.password.value },
      checkedKeepLogin: form.checkedKeepLogin.checked
    }).then(function (response) {
      // The app answers 302 /userinfo; the browser follows it and this is that answer.
      if (response.status === 200) return response.json().then(mypage);
      error("failed", text("failed"));
    }, function () {
      error("blocked", text("blocked"));
    }).then(report);
  });

  document.querySelector('[data-action="client-logout"]').addEventListener("click", function () {
    call("POST", "/logout").then(function () { view("login"); }, function () {}).then(report);
  });

  // What the app saw of this page's calls (demo mode only): it keeps them by this page's visit.
  function report() {
    return fetch(api + "/demo/client/report?visit=" + encodeURIComponent(visit), { credentials: "include" })
      .then(function (response) {
        if (response.status !== 200) throw new Error("no report");
        return response.json();
      })
      .then(function (seen) {
        var rows = calls.querySelectorAll("li");
        seen.forEach(function (s, i) { annotate(rows, s, i); });
      }, function () {
        var note = document.querySelector("[data-report-note]");
        note.textContent = text("report-off");
        note.hidden = false;
      });
  }

  function annotate(rows, seen, index) {
    var id = "seen-" + index;
    if (document.getElementById(id)) return;
    var line = document.createElement("li");
    line.id = id;
    line.className = "seen";
    line.setAttribute("data-seen", seen.method + " " + seen.path);
    line.setAttribute("data-cookie-sent", String(seen.cookieSent));
    line.setAttribute("data-allow-origin", seen.allowOrigin || "");
    var cors = seen.allowOrigin
      ? "Access-Control-Allow-Origin: " + seen.allowOrigin + ", Access-Control-Allow-Credentials: " +
        (seen.allowCredentials || text("none")) + ", Vary: " + (seen.vary || text("none"))
      : text("none");
    line.textContent = (seen.preflight ? text("preflight") + " " : "") + seen.method + " " + seen.path +
      " → " + seen.status + " · Origin: " + seen.origin + ", Sec-Fetch-Site: " + (seen.secFetchSite || text("none")) +
      ", " + (seen.cookieSent ? text("cookies-sent") : text("no-cookies")) + " · CORS: " + cors;
    calls.appendChild(line);
  }

  whoAmI().then(report, function () { view("login"); error("blocked", text("blocked")); });
})();
