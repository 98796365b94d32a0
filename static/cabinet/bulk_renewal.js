/* «Продление за месяц»: the rows' period selects and the selection checkboxes.
 *
 * Everything a row shows is computed on the server, for every period its tariff
 * offers (json_script named by the form's data-bulk-data; cabinet/views/
 * bulk_renewal.py `preview_data`): when a row's period changes, this swaps in
 * that period's dates, extensions, amounts, refusal and warnings. Without this
 * script the page shows the periods it was rendered with, and «Пересчитать»
 * asks the server for the chosen ones. «Выбрать все на странице» exists only
 * with the script (it ticks the page's rows); «Все строки месяца» is the
 * server's and works without it. No inline scripts, no arithmetic.
 */
(function () {
  "use strict";

  function fillList(node, lines) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
    lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      node.appendChild(item);
    });
  }

  function showPreview(row, shown) {
    function part(name) {
      return row.querySelector("[data-preview='" + name + "']");
    }
    part("dates").textContent = shown.dates;
    part("amount").textContent = shown.amount;
    if (part("total")) {
      part("total").textContent = shown.total;
    }
    var extensions = part("extensions").querySelector("ul");
    if (extensions) {
      fillList(extensions, shown.extensions);
    }
    var refusal = part("refusal");
    refusal.textContent = shown.refusal;
    refusal.hidden = !shown.refusal;
    part("ok").hidden = Boolean(shown.refusal);
    var warnings = part("warnings");
    fillList(warnings, shown.warnings);
    warnings.hidden = shown.warnings.length === 0;
    row.classList.toggle("is-refused", Boolean(shown.refusal));
  }

  function setup(form) {
    var source = document.getElementById(form.getAttribute("data-bulk-data"));
    var data = source ? JSON.parse(source.textContent) : {};
    var rows = form.querySelectorAll("[data-bulk-row]");
    var checks = form.querySelectorAll("[data-row-check]");
    var selectPage = form.querySelector("[data-select-page]");
    var allRows = form.querySelector("[data-all-rows]");

    Array.prototype.forEach.call(rows, function (row) {
      var select = row.querySelector("[data-row-period]");
      var periods = data[row.getAttribute("data-bulk-row")];
      if (!select || !periods) {
        return;
      }
      select.addEventListener("change", function () {
        var shown = periods[select.value];
        if (shown) {
          showPreview(row, shown);
        }
      });
    });

    function everyChecked() {
      return (
        checks.length > 0 &&
        Array.prototype.every.call(checks, function (check) {
          return check.checked;
        })
      );
    }

    if (selectPage) {
      selectPage.closest("[data-select-page-label]").hidden = false;
      selectPage.checked = everyChecked();
      selectPage.addEventListener("change", function () {
        Array.prototype.forEach.call(checks, function (check) {
          check.checked = selectPage.checked;
        });
        if (!selectPage.checked && allRows) {
          allRows.checked = false;
        }
      });
      Array.prototype.forEach.call(checks, function (check) {
        check.addEventListener("change", function () {
          selectPage.checked = everyChecked();
          if (!check.checked && allRows) {
            allRows.checked = false;
          }
        });
      });
    }
    if (allRows) {
      // Every row of the month includes this page's: show them ticked too.
      allRows.addEventListener("change", function () {
        if (allRows.checked) {
          Array.prototype.forEach.call(checks, function (check) {
            check.checked = true;
          });
          if (selectPage) {
            selectPage.checked = true;
          }
        }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-bulk-renewal]"), setup);
  });
})();
