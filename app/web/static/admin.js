// Live edition progress: poll the admin JSON endpoint and update the panel in place.
(function () {
  "use strict";
  function duration(s) {
    if (s === null || s === undefined) return "—";
    if (s < 60) return s + " s";
    if (s < 3600) return Math.round(s / 60) + " min";
    return (s / 3600).toFixed(1) + " h";
  }
  function poll(panel) {
    var set = function (name, text) {
      var el = panel.querySelector('[data-field="' + name + '"]');
      if (el) el.textContent = text;
    };
    fetch(panel.dataset.progressUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (p) {
        ["recipients", "sent", "failed", "bounced", "pending", "sending", "skipped"].forEach(function (k) { set(k, p[k]); });
        set("percent", p.percent.toFixed(1));
        set("rate", p.rate_per_minute === null ? "—" : Math.round(p.rate_per_minute).toLocaleString("en"));
        set("eta", duration(p.eta_seconds));
        var status = panel.querySelector('[data-field="status"] .badge');
        if (status) status.textContent = p.status;
        panel.querySelector('[data-field="bar"]').style.width = p.percent + "%";
        panel.querySelector('[role="progressbar"]').setAttribute("aria-valuenow", Math.round(p.percent));
        if (!p.finished) setTimeout(function () { poll(panel); }, panel.dataset.interval || 2000);
      })
      .catch(function () { setTimeout(function () { poll(panel); }, 10000); });
  }
  document.querySelectorAll("[data-progress-url]").forEach(function (panel) {
    if (panel.dataset.finished !== "true") setTimeout(function () { poll(panel); }, 2000);
  });
})();

// Phones show each table row as a card: label every cell with its column's header.
(function () {
  "use strict";
  document.querySelectorAll(".table-wrap table").forEach(function (table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (names[i] && !cell.hasAttribute("colspan")) cell.setAttribute("data-label", names[i]);
      });
    });
  });
})();
