// Behaviour for the public and admin forms. A file, not inline script: the
// Content-Security-Policy allows scripts from this origin only (no 'unsafe-inline').
(function () {
  "use strict";

  // Default the timezone to the browser's on the subscribe form, unless the form is shown again.
  var zoneSelect = document.querySelector('form[action="/subscribe"] select#timezone');
  if (zoneSelect && !document.querySelector(".field.has-error")) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    if (zone) {
      var found = Array.prototype.some.call(zoneSelect.options, function (o) { return o.value === zone; });
      if (!found) { zoneSelect.add(new Option(zone, zone)); }
      zoneSelect.value = zone;
    }
  }

  // Show the weekday only for weekly digests.
  var frequency = document.getElementById("frequency");
  var day = document.getElementById("weekly-day-field");
  if (frequency && day) {
    var sync = function () { day.hidden = frequency.value !== "weekly"; };
    frequency.addEventListener("change", sync);
    sync();
  }

  // A library file past the upload limit: say so before sending it (the server says it too).
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var check = function () {
      var file = input.files && input.files[0];
      var tooLarge = file && file.size > Number(input.dataset.maxBytes);
      input.setCustomValidity(tooLarge ? input.dataset.tooLarge : "");
      if (tooLarge) { input.reportValidity(); }
    };
    input.addEventListener("change", check);
    if (input.form) {
      input.form.addEventListener("submit", function (event) {
        check();
        if (!input.checkValidity()) { event.preventDefault(); input.reportValidity(); }
      });
    }
  });

  // Ask before a form with data-confirm="question" is sent.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
