/* Small behaviours for the staff app; no inline script is allowed by the Content-Security-Policy. */
(function () {
  "use strict";

  // A date picker that navigates as soon as a date is chosen.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]")) {
      if (el.form) { el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit(); }
    }
  });

  // Buttons that need a confirmation: <button data-confirm="Mark as no-show?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Fill a datetime-local input with the current local time: <button data-fill-now="#id">.
  document.addEventListener("click", function (event) {
    var btn = event.target.closest && event.target.closest("[data-fill-now]");
    if (!btn) { return; }
    event.preventDefault();
    var input = document.querySelector(btn.getAttribute("data-fill-now"));
    if (!input) { return; }
    var d = new Date();
    var pad = function (n) { return String(n).padStart(2, "0"); };
    input.value = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  });
})();
