/* Fresh Cabinet: a table row with data-href opens on double-click, and on Enter
   when the row itself has the focus (rows carry tabindex="0"); the language
   switch submits on change.
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

  // The language switch submits itself when a language is chosen (its button
  // stays for keyboards and for browsers without this script).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.name === "language") {
      var form = target.closest("form[data-language-switch]");
      if (form) {
        form.submit();
      }
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
