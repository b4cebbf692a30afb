/*
 * The conciliator's console (templates/hearings/outcome/console.html). The page works without it.
 *
 *  1. Tolerance countdown: [data-tolerance] with data-starts-at and data-tolerance-ends (ISO 8601).
 *     Before the start it counts down to the start, then to the end of the tolerance; when that runs
 *     out the role="status" text says so once (screen readers are not told every second).
 *  2. Outcome form: only the fields of the chosen outcome are shown ([data-outcome-fields="…"]);
 *     the server checks them all the same. Without a choice, no outcome-specific field is shown.
 */
(function () {
  "use strict";

  /* 1. Tolerance countdown ----------------------------------------------------------------- */
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function clock(ms) {
    var total = Math.max(0, Math.floor(ms / 1000));
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    return (hours ? hours + ":" + pad(minutes) : minutes) + ":" + pad(seconds);
  }

  function startCountdown(box) {
    var startsAt = Date.parse(box.getAttribute("data-starts-at"));
    var endsAt = Date.parse(box.getAttribute("data-tolerance-ends"));
    if (isNaN(startsAt) || isNaN(endsAt)) return;
    var label = box.querySelector("[data-tolerance-label]");
    var face = box.querySelector("[data-tolerance-clock]");
    var text = box.querySelector("[data-tolerance-text]");
    var announced = false;
    var timer = null;

    function tick() {
      var now = Date.now();
      if (now < startsAt) {
        label.textContent = box.getAttribute("data-msg-before");
        face.textContent = clock(startsAt - now);
      } else if (now < endsAt) {
        label.textContent = box.getAttribute("data-msg-running");
        face.textContent = clock(endsAt - now);
      } else {
        label.textContent = "";
        face.textContent = "0:00";
        box.classList.add("tolerance--over");
        if (!announced) {
          text.textContent = box.getAttribute("data-msg-over");
          announced = true;
        }
        window.clearInterval(timer);
      }
    }
    tick();
    timer = window.setInterval(tick, 1000);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-tolerance]"), startCountdown);

  /* 2. Outcome form ------------------------------------------------------------------------ */
  var form = document.querySelector("[data-outcome-form]");
  if (!form) return;
  var choices = form.querySelectorAll('input[type="radio"][name="outcome"]');
  var groups = form.querySelectorAll("[data-outcome-fields]");

  function chosen() {
    for (var i = 0; i < choices.length; i++) {
      if (choices[i].checked) return choices[i].value;
    }
    return "";
  }

  function showFields() {
    var outcome = chosen();
    Array.prototype.forEach.call(groups, function (group) {
      group.hidden = group.getAttribute("data-outcome-fields") !== outcome;
    });
  }

  Array.prototype.forEach.call(choices, function (choice) {
    choice.addEventListener("change", showFields);
  });
  showFields();
})();
