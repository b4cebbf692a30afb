/*
 * The company's desk (templates/companydesk/desk.html) — progressive enhancements; the page works
 * without this file.
 *
 *  1. "Select every case on this page": ticks or unticks the rows' boxes (which belong to #bulk-form).
 *  2. Ticking a row chooses "the cases I tick" rather than "all that match".
 *  3. The download buttons of the bulk form do not lock it: a download leaves the page where it was,
 *     so the other buttons must stay usable (concilia.js locks a POST form's buttons once sent).
 */
(function () {
  "use strict";

  var form = document.getElementById("bulk-form");
  if (!form) return;
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="part"][form="bulk-form"]'));
  var pageBox = document.getElementById("tick-page");
  var selected = document.getElementById("scope-selected");

  /* 1 */
  if (pageBox && boxes.length) {
    pageBox.closest("[hidden]") && pageBox.closest("[hidden]").removeAttribute("hidden");
    pageBox.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = pageBox.checked; });
      if (pageBox.checked && selected) selected.checked = true;
    });
  }

  /* 2 */
  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      if (box.checked && selected) selected.checked = true;
      if (pageBox) pageBox.checked = boxes.every(function (b) { return b.checked; });
    });
  });

  /* 3: before concilia.js's own submit listener (capture phase runs first). */
  document.addEventListener("submit", function (event) {
    if (event.target !== form) return;
    var submitter = event.submitter;
    if (!submitter || !submitter.hasAttribute("data-download")) return;
    form.setAttribute("data-no-submit-lock", "");
    window.setTimeout(function () { form.removeAttribute("data-no-submit-lock"); }, 0);
  }, true);
})();
