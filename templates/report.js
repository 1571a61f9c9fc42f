// Enhancements only: every row is in the page without this script. Sorting by a column header,
// filtering the images table by text and status, expanding the drill-downs, and opening every
// drill-down for printing. No network access (the page's Content-Security-Policy forbids it).
"use strict";
(function () {
  document.documentElement.dataset.js = "on";
  var text = function (cell) {
    return cell ? cell.textContent.trim() : "";
  };
  var key = function (row, col, numeric) {
    var cell = row.cells[col];
    if (!numeric) return text(cell).toLowerCase();
    var n = parseFloat(cell && cell.dataset.n !== undefined ? cell.dataset.n : text(cell));
    return isNaN(n) ? -Infinity : n;
  };
  // Sort every <tbody> of a table by one column; repository header rows stay first.
  document.querySelectorAll("table").forEach(function (table) {
    var heads = table.tHead ? table.tHead.querySelectorAll("th[data-sort]") : [];
    heads.forEach(function (th) {
      th.tabIndex = 0;
      var sort = function () {
        var col = parseInt(th.dataset.sort, 10);
        var numeric = th.dataset.type === "n";
        var asc = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        Array.prototype.forEach.call(table.tBodies, function (body) {
          var rows = Array.prototype.filter.call(body.rows, function (r) {
            return !r.classList.contains("repo-head");
          });
          rows.sort(function (a, b) {
            var x = key(a, col, numeric), y = key(b, col, numeric);
            var c = x < y ? -1 : x > y ? 1 : 0;
            return asc ? c : -c;
          });
          rows.forEach(function (r) { body.appendChild(r); });
        });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  });
  // Filter the images table: every word must occur in the row's key cells or its repository.
  var table = document.getElementById("image-table");
  var controls = document.querySelector(".controls");
  if (table && controls) {
    controls.hidden = false;
    var input = document.getElementById("filter");
    var status = document.getElementById("status-filter");
    var compliance = document.getElementById("compliance-filter");
    var shown = document.getElementById("shown");
    var bodies = Array.prototype.slice.call(table.tBodies);
    var index = bodies.map(function (body) {
      var repo = (body.dataset.repo || "").toLowerCase();
      return Array.prototype.filter.call(body.rows, function (r) {
        return r.classList.contains("img");
      }).map(function (r) {
        // A key cell's text and its elements' titles: digests are shortened on the page and
        // whole in their title, so a full digest pasted into the filter finds its row.
        var keys = Array.prototype.filter.call(r.cells, function (c) {
          return c.classList.contains("k");
        }).map(function (c) {
          return text(c) + " " + Array.prototype.map.call(c.querySelectorAll("[title]"), function (e) {
            return e.title;
          }).join(" ");
        }).join(" ");
        return {
          row: r,
          text: (repo + " " + keys).toLowerCase(),
          status: r.dataset.status,
          compliance: r.dataset.compliance
        };
      });
    });
    var total = index.reduce(function (n, rows) { return n + rows.length; }, 0);
    var apply = function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var want = status.value;
      var wantCompliance = compliance ? compliance.value : "";
      var count = 0;
      index.forEach(function (rows, i) {
        var any = false;
        rows.forEach(function (e) {
          var ok = (!want || e.status === want) &&
            (!wantCompliance || e.compliance === wantCompliance) && words.every(function (w) {
            return e.text.indexOf(w) !== -1;
          });
          e.row.classList.toggle("hidden", !ok);
          if (ok) { any = true; count++; }
        });
        bodies[i].classList.toggle("hidden", !any);
      });
      shown.textContent = count + " of " + total + " images shown";
      table.dataset.shown = String(count);
    };
    var timer = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(apply, total > 2000 ? 150 : 0);
    });
    status.addEventListener("change", apply);
    if (compliance) compliance.addEventListener("change", apply);
    var setAll = function (open) {
      table.querySelectorAll("details").forEach(function (d) { d.open = open; });
    };
    document.getElementById("expand-all").addEventListener("click", function () { setAll(true); });
    document.getElementById("collapse-all").addEventListener("click", function () { setAll(false); });
    apply();
  }
  // Printing shows every drill-down; the ones closed before are closed again afterwards.
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) {
      return !d.open;
    });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
    closed = [];
  });
})();
