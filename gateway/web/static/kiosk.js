// The kiosk's small helpers; every page works without them.
(function () {
  "use strict";
  var body = document.body;

  // Read aloud, only where the browser can speak.
  if ("speechSynthesis" in window) {
    var voice = document.documentElement.lang === "en" ? "en-GB" : "fr-FR";
    document.querySelectorAll("button.say").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var words = new SpeechSynthesisUtterance(button.dataset.say);
        words.lang = voice;
        window.speechSynthesis.cancel();
        window.speechSynthesis.speak(words);
      });
    });
  }

  // Each screen is a new page: a screen reader starts at its question or title.
  var heading = document.querySelector("main h1[tabindex='-1']");
  if (heading) { heading.focus(); }

  document.querySelectorAll("button.print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Nothing of a resident stays in the browser: the server keeps the session.
  try { window.sessionStorage.clear(); window.localStorage.clear(); } catch (e) { /* disabled */ }

  // The idle timer: a warning with a countdown, then the server wipes the session.
  var idle = Number(body.dataset.idle) * 1000;
  var warning = Number(body.dataset.warning);
  var end = body.dataset.end;
  if (!idle || !end) { return; }
  var dialog = document.getElementById("idle-warning");
  var count = document.getElementById("idle-count");
  var idleTimer = null;
  var tick = null;

  function wipe() { window.location.replace(end); }

  function warn() {
    var left = warning;
    count.textContent = String(left);
    dialog.hidden = false;
    document.getElementById("idle-continue").focus();
    tick = window.setInterval(function () {
      left -= 1;
      count.textContent = String(left);
      if (left <= 0) { window.clearInterval(tick); wipe(); }
    }, 1000);
  }

  var touched = Date.now();
  function touchServer() {
    touched = Date.now();
    fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" });
  }

  function restart() {
    if (tick !== null) { return; }
    // Someone is busy on this screen: keep the server's session alive too.
    if (Date.now() - touched > idle / 2) { touchServer(); }
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(warn, idle);
  }

  document.getElementById("idle-continue").addEventListener("click", function () {
    window.clearInterval(tick);
    tick = null;
    dialog.hidden = true;
    touchServer();
    restart();
  });
  ["pointerdown", "keydown", "touchstart", "scroll"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  // A page restored from the back-forward cache is reloaded from the server.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }
  });
  restart();
})();
