/*
 * Company step of the filing form: refresh the list of registered companies as the person types.
 * The page works without this file (a GET search form reloads the page with the matches); this only
 * fetches the same HTML fragment from `company_lookup` and swaps it in, so typed answers are kept.
 * It also hides the CUIT and name fields until "It is not in the list" is chosen.
 */
(function () {
  "use strict";

  var input = document.getElementById("company-q");
  var results = document.getElementById("company-results");
  var searchForm = document.querySelector("[data-company-search]");
  if (!input || !results || !searchForm) return;

  var url = input.getAttribute("data-lookup-url");
  var timer = null;
  var lastQuery = null;
  var controller = null;

  function checkedValue() {
    var checked = document.querySelector('input[name="company"]:checked');
    return checked ? checked.value : "";
  }

  function lookup() {
    var query = input.value.trim();
    if (query === lastQuery) return;
    lastQuery = query;
    if (query.length < 2) return;
    if (controller) controller.abort();
    controller = "AbortController" in window ? new AbortController() : null;
    var chosen = checkedValue();
    fetch(url + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      signal: controller ? controller.signal : undefined
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        results.innerHTML = html;
        // Keep the choice the person had made if that company is still listed.
        var same = chosen && results.querySelector('input[name="company"][value="' + CSS.escape(chosen) + '"]');
        if (same) same.checked = true;
        toggleOther();
      })
      .catch(function () { /* offline or aborted: the Search button still works */ });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookup, 250);
  });
  searchForm.addEventListener("submit", function (event) {
    event.preventDefault();
    lastQuery = null;
    lookup();
  });

  /* "It is not in the list": reveal its fields only when chosen (GOV.UK conditional reveal). */
  var other = document.getElementById("company-other");
  var otherFields = document.getElementById("company-other-fields");
  function toggleOther() {
    if (!other || !otherFields) return;
    var hasError = otherFields.querySelector(".form-group--error");
    otherFields.hidden = !(other.checked || hasError);
    // No aria-expanded here: a radio button may not carry it (ARIA), and the fields appear right
    // after the radio in reading order, so a screen reader reaches them next anyway.
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "company") toggleOther();
  });
  toggleOther();
})();
