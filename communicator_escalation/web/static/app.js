/* The web UI's behaviour, kept small: SLA clocks that count down, the draft card's in-place editor with
   review notes checked as the CSM types, lists that refresh themselves, and forms that cannot be sent
   twice. No inline script runs (the Content-Security-Policy forbids it); every word comes from the
   server's templates, this file only shows, hides and fills in numbers. */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = meta ? meta.content : "";
  var loadedAt = Date.now();

  function showMinutes(part, minutes) {
    var total = Math.abs(minutes);
    part.querySelector(".h").textContent = String(Math.floor(total / 60));
    part.querySelector(".m").textContent = String(total % 60);
    part.querySelector(".hours").hidden = total < 60;
  }

  function tickClocks() {
    var elapsed = Math.floor((Date.now() - loadedAt) / 60000);
    document.querySelectorAll(".sla-clock[data-minutes]").forEach(function (clock) {
      var minutes = parseInt(clock.dataset.minutes, 10) - elapsed;
      var late = minutes < 0;
      var due = clock.querySelector(".due");
      var overdue = clock.querySelector(".late");
      due.hidden = late;
      overdue.hidden = !late;
      showMinutes(due, minutes);
      showMinutes(overdue, minutes);
      clock.classList.toggle("breached", late);
      var row = clock.closest("tr.escalation");
      if (row) { row.classList.toggle("is-breached", late); }
    });
  }

  function setUpEditors() {
    document.querySelectorAll("[data-edit-toggle]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var id = link.dataset.editToggle;
        var form = document.getElementById("edit-" + id);
        var body = document.getElementById("body-" + id);
        if (!form) { return; }
        event.preventDefault();
        form.hidden = !form.hidden;
        if (body) { body.hidden = !form.hidden; }
        if (!form.hidden) { form.elements.subject.focus(); }
      });
    });
    document.querySelectorAll("form[data-notes-url]").forEach(function (form) {
      var target = document.getElementById(form.dataset.notesTarget);
      var timer = null;
      var asked = 0;
      function check() {
        var mine = ++asked;
        fetch(form.dataset.notesUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRF-Token": csrfToken},
          body: JSON.stringify({subject: form.elements.subject.value, body: form.elements.body.value})
        }).then(function (answer) {
          return answer.ok ? answer.text() : null;
        }).then(function (html) {
          if (html !== null && mine === asked && target) { target.innerHTML = html; }
        });
      }
      form.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(check, 250);
      });
    });
  }

  function keepTyped(box, fresh) {
    box.querySelectorAll("input[id]").forEach(function (input) {
      var same = fresh.querySelector("#" + CSS.escape(input.id));
      if (same && input.value) { same.value = input.value; }
    });
  }

  function setUpPolling() {
    document.querySelectorAll("[data-poll-url]").forEach(function (box) {
      var every = parseInt(box.dataset.pollMs || "3000", 10);
      function poll() {
        fetch(box.dataset.pollUrl, {credentials: "same-origin", headers: {"Accept": "text/html"}})
          .then(function (answer) {
            if (answer.redirected) { window.location.reload(); return null; }
            return answer.ok ? answer.text() : null;
          })
          .then(function (html) {
            if (html === null) { return; }
            var fresh = new DOMParser().parseFromString(html, "text/html").body.firstElementChild;
            var current = box.firstElementChild;
            if (!fresh || (current && current.dataset.version === fresh.dataset.version)) { return; }
            keepTyped(box, fresh);
            box.replaceChildren(document.adoptNode(fresh));
          })
          .catch(function () { return null; })
          .finally(function () { window.setTimeout(poll, every); });
      }
      window.setTimeout(poll, every);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    window.setTimeout(function () {
      form.classList.add("busy");
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    }, 0);
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form.busy").forEach(function (form) {
      form.classList.remove("busy");
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = false; });
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    tickClocks();
    window.setInterval(tickClocks, 10000);
    setUpEditors();
    setUpPolling();
  });
}());
