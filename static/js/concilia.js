/*
 * Concilia — small progressive enhancements. Every page works without this file.
 *
 *  1. Double-submit guard: a POST form's submit buttons are disabled once it is sent, and the button
 *     that was pressed reads "Sending…". Opt out with <form data-no-submit-lock>.
 *  2. Error summary: focused when the page loads; its links move focus to the field and scroll so
 *     the field's label (or legend) is visible, as in GOV.UK.
 *  3. Filters (.filters): folded behind a "Show filters" button on phones unless a filter is in use.
 *  4. Character count under <textarea maxlength>.
 *  5. Copy buttons: <button data-copy-target="element-id" hidden> copies that element's value/text.
 *  6. Confirmation: <form data-confirm="Are you sure…?"> or <button data-confirm="…"> asks first.
 *
 * Translated strings come from data-msg-* attributes on <body> (see templates/base.html).
 */
(function () {
  "use strict";

  var body = document.body;
  function msg(name, fallback) {
    return (body && body.getAttribute("data-msg-" + name)) || fallback;
  }

  /* 1. Double-submit guard ------------------------------------------------------------------- */
  function submitButtonsOf(form) {
    var buttons = Array.prototype.slice.call(
      form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]')
    );
    if (form.id) {
      var outside = document.querySelectorAll(
        'button[form="' + form.id + '"]:not([type="button"]):not([type="reset"]), input[type="submit"][form="' + form.id + '"]'
      );
      buttons = buttons.concat(Array.prototype.slice.call(outside));
    }
    return buttons;
  }

  function lock(form, submitter) {
    var buttons = submitButtonsOf(form);
    // Disable after the browser has collected the form data, so the pressed button's name/value is
    // still sent (allauth's e-mail page tells its actions apart that way).
    window.setTimeout(function () {
      buttons.forEach(function (button) {
        if (button.disabled) return;
        button.disabled = true;
        button.setAttribute("data-locked", "");
        if (button === submitter && button.tagName === "BUTTON") {
          button.setAttribute("data-original-html", button.innerHTML);
          button.textContent = msg("sending", "Sending…");
          button.classList.add("is-submitting");
          button.setAttribute("aria-busy", "true");
        }
      });
    }, 0);
    // A download or a stalled connection must not leave the form dead.
    window.setTimeout(function () { unlock(form); }, 15000);
  }

  function unlock(form) {
    submitButtonsOf(form).forEach(function (button) {
      if (!button.hasAttribute("data-locked")) return;
      button.disabled = false;
      button.removeAttribute("data-locked");
      button.removeAttribute("aria-busy");
      button.classList.remove("is-submitting");
      var html = button.getAttribute("data-original-html");
      if (html !== null) {
        button.innerHTML = html;
        button.removeAttribute("data-original-html");
      }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    var submitter = event.submitter || null;

    // 6. Confirmation first.
    var question = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }

    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    if (form.hasAttribute("data-no-submit-lock")) return;
    if (form.hasAttribute("data-submitting")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "");
    window.setTimeout(function () { form.removeAttribute("data-submitting"); }, 15000);
    lock(form, submitter);
  });

  // Coming back with the browser's Back button restores the page from cache: make it usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    Array.prototype.forEach.call(document.forms, function (form) {
      form.removeAttribute("data-submitting");
      unlock(form);
    });
  });

  /* 2. Error summary ------------------------------------------------------------------------- */
  function focusTarget(input) {
    var legend = null;
    var fieldset = input.closest("fieldset");
    if (fieldset) legend = fieldset.querySelector("legend");
    var label = input.id ? document.querySelector('label[for="' + input.id + '"]') : null;
    var anchor = legend || label || input;
    anchor.scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  }

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var input = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!input) return;
      event.preventDefault();
      focusTarget(input);
    });
  }

  /* 3. Filters ------------------------------------------------------------------------------- */
  var phone = window.matchMedia ? window.matchMedia("(max-width: 767.98px)") : null;
  Array.prototype.forEach.call(document.querySelectorAll(".filters"), function (filters, index) {
    if (!filters.id) filters.id = "filters-" + (index + 1);
    var inUse = Array.prototype.some.call(
      filters.querySelectorAll("input, select, textarea"),
      function (field) {
        if (field.type === "hidden" || field.type === "submit" || field.type === "button") return false;
        if (field.type === "checkbox" || field.type === "radio") return field.checked && !field.defaultChecked;
        if (field.tagName === "SELECT") return field.selectedIndex > 0;
        return field.value.trim() !== "";
      }
    );
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "btn btn-outline-primary filters-toggle";
    toggle.setAttribute("aria-controls", filters.id);
    filters.parentNode.insertBefore(toggle, filters);

    function render(open) {
      filters.classList.toggle("filters--collapsed", !open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = open ? msg("hide-filters", "Hide filters") : msg("show-filters", "Show filters");
    }
    render(inUse || !(phone && phone.matches));
    toggle.addEventListener("click", function () {
      render(filters.classList.contains("filters--collapsed"));
    });
  });

  /* 4. Character count ----------------------------------------------------------------------- */
  Array.prototype.forEach.call(document.querySelectorAll("textarea[maxlength]"), function (area) {
    var max = parseInt(area.getAttribute("maxlength"), 10);
    if (!max || max <= 0) return;
    // What sighted users see changes as they type; screen readers hear it once typing pauses.
    var counter = document.createElement("p");
    counter.className = "char-count";
    counter.setAttribute("aria-hidden", "true");
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", live);
    area.insertAdjacentElement("afterend", counter);
    var timer = null;
    function text() {
      return msg("chars-left", "Characters remaining:") + " " + (max - area.value.length);
    }
    function update() {
      var left = max - area.value.length;
      counter.textContent = text();
      counter.classList.toggle("is-over", left <= Math.max(10, Math.round(max * 0.05)));
    }
    update();
    area.addEventListener("input", function () {
      update();
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { live.textContent = text(); }, 1000);
    });
  });

  /* 5. Copy buttons -------------------------------------------------------------------------- */
  Array.prototype.forEach.call(document.querySelectorAll("[data-copy-target]"), function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target || !navigator.clipboard) return;
    button.hidden = false;
    var original = button.innerHTML;
    button.addEventListener("click", function () {
      var text = "value" in target ? target.value : target.textContent;
      navigator.clipboard.writeText(text.trim()).then(function () {
        button.textContent = msg("copied", "Copied");
        window.setTimeout(function () { button.innerHTML = original; }, 2000);
      });
    });
  });
})();
