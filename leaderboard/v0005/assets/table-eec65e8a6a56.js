/* locbench leaderboard: sortable + filterable tables and the version selector (vanilla JS, offline). */
(function () {
  "use strict";
  function key(td, dir) {
    if (!td) return null;
    var raw = td.getAttribute("data-v");
    if (dir === "text") return (raw || td.textContent || "").trim().toLowerCase();
    if (raw === null || raw === "") return null;
    var v = parseFloat(raw);
    if (isNaN(v)) return null;
    return dir === "zero" ? Math.abs(v) : v;
  }
  function sortTable(table, th) {
    var col = parseInt(th.getAttribute("data-col"), 10);
    var dir = th.getAttribute("data-dir") || "higher";
    var current = th.getAttribute("aria-sort");
    var next;
    if (current === "ascending") next = "descending";
    else if (current === "descending") next = "ascending";
    else next = (dir === "higher") ? "descending" : "ascending"; /* first click: best first */
    table.querySelectorAll("th[aria-sort]").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", next);
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var sign = next === "ascending" ? 1 : -1;
    rows.sort(function (a, b) {
      var ka = key(a.cells[col], dir), kb = key(b.cells[col], dir);
      if (ka === null && kb === null) return 0;
      if (ka === null) return 1;  /* missing values always last */
      if (kb === null) return -1;
      if (ka < kb) return -sign;
      if (ka > kb) return sign;
      return 0;
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function filterTable(table, text, counter) {
    var q = text.trim().toLowerCase();
    var shown = 0, rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      var hay = (rows[i].getAttribute("data-name") || rows[i].textContent).toLowerCase();
      var hit = q === "" || hay.indexOf(q) !== -1;
      rows[i].hidden = !hit;
      if (hit) shown++;
    }
    if (counter) counter.textContent = "Showing " + shown + " of " + rows.length + " models";
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th[aria-sort]").forEach(function (th) {
      var btn = th.querySelector("button");
      (btn || th).addEventListener("click", function () { sortTable(table, th); });
    });
  });
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    var counter = document.getElementById(input.getAttribute("data-count"));
    if (!table) return;
    input.addEventListener("input", function () { filterTable(table, input.value, counter); });
    filterTable(table, input.value, counter);
  });
  /* the compact "unverified" badge of table rows: its explanation, written once here instead of on every row */
  document.querySelectorAll(".badge.unverified:not([title])").forEach(function (b) {
    b.title = "Not verified against data: scored from submitted predictions that could not be checked against " +
      "the dataset's files (only against its published facts)";
  });
  var sel = document.getElementById("version-select");
  if (sel) sel.addEventListener("change", function () { if (sel.value) window.location.href = sel.value; });
  var data = document.getElementById("lb-data");
  if (data) { try { window.LOCBENCH = JSON.parse(data.textContent); } catch (e) { window.LOCBENCH = null; } }
})();
