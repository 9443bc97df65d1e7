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

  // Nothing of a resident stays in the browser: the server keeps the session. Only the
  // outbox stays, and what it holds is sealed by the server: nobody can read it here.
  var OUTBOX = "pv-outbox";
  var storage = null;
  try {
    storage = window.localStorage;
    var waiting = storage.getItem(OUTBOX);
    window.sessionStorage.clear();
    storage.clear();
    if (waiting) { storage.setItem(OUTBOX, waiting); }
  } catch (e) { storage = null; /* storage disabled: sending works, without an outbox */ }

  function readOutbox() {
    try { return JSON.parse(storage.getItem(OUTBOX) || "[]"); } catch (e) { return []; }
  }

  function writeOutbox(items) {
    if (items.length) { storage.setItem(OUTBOX, JSON.stringify(items)); }
    else { storage.removeItem(OUTBOX); }
  }

  function postSealed(item) {
    return fetch(item.url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      body: new URLSearchParams({ sealed: item.sealed })
    });
  }

  // Each waiting submission goes once the network is back; a refusal (4xx) is final.
  var flushing = false;
  function flushOutbox() {
    if (!storage || flushing) { return; }
    var items = readOutbox();
    if (!items.length) { return; }
    flushing = true;
    var item = items[0];
    postSealed(item).then(function (response) {
      flushing = false;
      if (response.status >= 500) { return; }
      writeOutbox(readOutbox().filter(function (other) { return other.sealed !== item.sealed; }));
      if (response.ok) { response.json().then(function (sent) { showSent(item, sent.receipt); }); }
      flushOutbox();
    }, function () { flushing = false; });
  }
  // Only the page that kept this submission says it went: another resident's page says nothing.
  function showSent(item, receipt) {
    var form = document.querySelector("form[data-outbox]");
    var status = document.getElementById("outbox-status");
    if (!form || status.hidden || form.elements.sealed.value !== item.sealed) { return; }
    var messages = document.getElementById("outbox-messages");
    status.textContent = messages.dataset.sent.replace("@CODE@", receipt);
  }
  window.addEventListener("online", flushOutbox);
  window.setInterval(flushOutbox, 15000);
  flushOutbox();

  // Sending: the normal post, unless the network is down; then the outbox keeps it.
  document.querySelectorAll("form[data-outbox]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!storage || !button || button.value !== "send") { return; }
      event.preventDefault();
      var fields = new URLSearchParams(new FormData(form));
      fields.set("action", "send");
      fetch(form.action, { method: "POST", credentials: "same-origin", body: fields })
        .then(function (response) {
          if (response.redirected) { window.location.assign(response.url); return; }
          // A refusal is a page to read: post again the plain way (nothing changed).
          var action = document.createElement("input");
          action.type = "hidden"; action.name = "action"; action.value = "send";
          form.appendChild(action);
          form.submit();
        }, function () {
          var sealed = form.elements.sealed.value;
          var items = readOutbox().filter(function (other) { return other.sealed !== sealed; });
          items.push({ url: form.dataset.outbox, sealed: sealed });
          writeOutbox(items);
          var messages = document.getElementById("outbox-messages");
          var status = document.getElementById("outbox-status");
          status.textContent = messages.dataset.waiting;
          status.hidden = false;
        });
    });
  });

  // The idle timer: a warning with a countdown, then the server wipes the session.
  var idle = Number(body.dataset.idle) * 1000;
  var warning = Number(body.dataset.warning);
  var end = body.dataset.end;
  if (!idle || !end) { return; }
  var dialog = document.getElementById("idle-warning");
  var count = document.getElementById("idle-count");
  var idleTimer = null;
  var tick = null;

  function wipe() {
    if (navigator.onLine !== false) { window.location.replace(end); return; }
    // No network to reach the wipe: empty the screen now, and go when the network is back.
    document.getElementById("main").replaceChildren();
    window.addEventListener("online", function () { window.location.replace(end); });
  }

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
