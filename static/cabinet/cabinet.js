/* Fresh Cabinet: a table row with data-href opens on double-click, and on Enter
   when the row itself has the focus (rows carry tabindex="0").
   Every such row also has a real link, so nothing depends on this script.
   Loaded with `defer`; no inline scripts anywhere (ready for a strict CSP). */
(function () {
  "use strict";

  function rowOf(target) {
    return target instanceof Element ? target.closest("tr[data-href]") : null;
  }

  function open(row) {
    var href = row.getAttribute("data-href");
    if (href) {
      window.location.assign(href);
    }
  }

  document.addEventListener("dblclick", function (event) {
    var row = rowOf(event.target);
    // A double-click on a link or a control inside the row does its own thing.
    if (row && !event.target.closest("a, button, input, select, textarea, label")) {
      window.getSelection && window.getSelection().removeAllRanges();
      open(row);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var row = rowOf(event.target);
    // Only when the row itself is focused: Enter on a link inside it follows the link.
    if (row && event.target === row) {
      event.preventDefault();
      open(row);
    }
  });
})();
