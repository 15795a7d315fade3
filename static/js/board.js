/* Chair board from the keyboard: the ARIA grid pattern (one tab stop, arrow keys between chairs and bookings,
   Home/End, Enter opens a booking) and the day's shortcuts ([ ] t d / ?), listed in the shortcuts dialog. */
(function () {
  "use strict";

  var activeKey = null; // the cell that holds the grid's tab stop, kept across the board's refreshes
  var focusInGrid = false;

  function grid() { return document.querySelector("[data-board-grid]"); }
  function toArray(list) { return Array.prototype.slice.call(list); }
  function rowsOf(g) {
    return toArray(g.querySelectorAll("[role=row]")).filter(function (row) { return row.querySelector("[data-cell]"); });
  }
  function cellsOf(row) { return toArray(row.querySelectorAll("[data-cell]")); }
  function centre(el) { var r = el.getBoundingClientRect(); return r.left + r.width / 2; }

  function setTabStop(g, cell) {
    toArray(g.querySelectorAll("[data-cell]")).forEach(function (el) { el.tabIndex = el === cell ? 0 : -1; });
    activeKey = cell.getAttribute("data-cell");
  }

  function initGrid() {
    var g = grid();
    if (!g) { return; }
    var cell = (activeKey && g.querySelector('[data-cell="' + activeKey + '"]')) ||
      g.querySelector("[role=row] [data-cell^=appt-]") || g.querySelector("[data-cell]");
    if (!cell) { return; }
    setTabStop(g, cell);
    if (focusInGrid) { cell.focus({ preventScroll: true }); }
  }

  function move(g, from, key, ctrl) {
    var rows = rowsOf(g);
    var row = from.closest("[role=row]");
    var r = rows.indexOf(row);
    var cells = cellsOf(row);
    var c = cells.indexOf(from);
    if (key === "ArrowRight") { return cells[c + 1]; }
    if (key === "ArrowLeft") { return cells[c - 1]; }
    if (key === "Home") { return ctrl ? cellsOf(rows[0])[0] : cells[0]; }
    if (key === "End") {
      if (ctrl) { var last = cellsOf(rows[rows.length - 1]); return last[last.length - 1]; }
      return cells[cells.length - 1];
    }
    if (key === "ArrowDown" || key === "ArrowUp" || key === "PageDown" || key === "PageUp") {
      var step = key === "ArrowDown" ? 1 : key === "ArrowUp" ? -1 : key === "PageDown" ? 5 : -5;
      var target = rows[Math.max(0, Math.min(rows.length - 1, r + step))];
      if (!target || target === row) { return null; }
      // From a chair's name to the next chair's name; from a booking to that chair's booking nearest in time.
      var candidates = cellsOf(target);
      if (c === 0 || candidates.length === 1) { return candidates[0]; }
      var x = centre(from);
      return candidates.slice(1).reduce(function (best, cell) {
        return Math.abs(centre(cell) - x) < Math.abs(centre(best) - x) ? cell : best;
      });
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    var g = grid();
    var from = event.target.closest && event.target.closest("[data-cell]");
    if (!g || !from || !g.contains(from) || event.altKey || event.metaKey) { return; }
    var next = move(g, from, event.key, event.ctrlKey);
    if (next === undefined || next === null) {
      if (/^(Arrow|Home|End|Page)/.test(event.key)) { event.preventDefault(); } // at an edge: stay put
      return;
    }
    event.preventDefault();
    setTabStop(g, next);
    next.focus();
  });

  document.addEventListener("focusin", function (event) {
    var g = grid();
    var cell = event.target.closest && event.target.closest("[data-cell]");
    if (g && cell && g.contains(cell)) { setTabStop(g, cell); }
  });

  // The board refreshes itself every minute (htmx swaps #board): keep the tab stop and the focus where they were.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var g = grid();
    if (g && event.detail.target && event.detail.target.id === "board") {
      focusInGrid = g.contains(document.activeElement);
    }
  });
  document.addEventListener("htmx:afterSettle", function () { initGrid(); focusInGrid = false; });

  // Shortcuts for the day. None while typing in a field, nor with Ctrl, Alt or Cmd held.
  var dialog = function () { return document.getElementById("shortcuts-dialog"); };
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function shortcut(name) { return document.querySelector('[data-shortcut="' + name + '"]'); }
  function openHelp() {
    var d = dialog();
    if (d && !d.open) { d.showModal(); }
  }
  var keys = {
    "[": function () { var el = shortcut("previous-day"); if (el) { el.click(); } },
    "]": function () { var el = shortcut("next-day"); if (el) { el.click(); } },
    "t": function () {
      var el = shortcut("today");
      if (el) { el.click(); } else { var g = grid(); var cell = g && g.querySelector("[data-cell][tabindex='0']"); if (cell) { cell.focus(); } }
    },
    "d": function () { var el = shortcut("day"); if (el) { el.focus(); } },
    "/": function () { var el = shortcut("search"); if (el) { el.focus(); } },
    "?": openHelp
  };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented || typing(event.target)) { return; }
    var d = dialog();
    if (d && d.open) { return; }
    var action = keys[event.key];
    if (!action) { return; }
    event.preventDefault();
    action();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest('[data-shortcut="help"]')) { openHelp(); }
  });

  initGrid();
})();
