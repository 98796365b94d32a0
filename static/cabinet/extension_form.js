/* Fresh Cabinet: the live preview of the subscription forms (a base subscription
   and «Подписка (создание)» of an extension).

   This script computes nothing: no dates, no prices, no rules. As the operator
   types it asks the server's preview endpoint (cabinet/views/preview.py, named
   in the json_script element the form's data-form-data attribute points to)
   and puts the answer into the page: «по», the total and its formula, the
   periods unavailable for the start, the alignment note, the errors next to
   their fields, and the what-if timeline with the limits. Requests are
   debounced, and a newer one aborts the one still running, so only the
   answer for the latest values is shown.

   Without this script the page shows the same preview, rendered by the
   server, and its «Пересчитать» button posts the form back to recompute it.
   No inline scripts (CSP). */
(function () {
  "use strict";

  var DELAY_MS = 250;
  var FIELDS = ["tariff", "period", "starts_on", "quantity"];

  function setText(node, text) {
    if (node) {
      node.textContent = text;
    }
  }

  // Whether the browser restored a value other than the one the server rendered
  // (form state kept across a reload or «Back»): the server's preview is then stale.
  function changedSinceRender(control) {
    if (control.tagName === "SELECT") {
      return Array.prototype.some.call(control.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    }
    return control.value !== control.defaultValue;
  }

  function setup(form) {
    var source = document.getElementById(form.getAttribute("data-form-data"));
    if (!source || !window.fetch || !window.AbortController || !window.URLSearchParams) {
      return;
    }
    var preview = (JSON.parse(source.textContent) || {}).preview;
    if (!preview || !preview.url) {
      return;
    }
    var controls = {};
    FIELDS.forEach(function (name) {
      var control = form.elements.namedItem(name);
      if (control) {
        controls[name] = control;
      }
    });
    var tariff = controls.tariff;
    var period = controls.period;
    var start = controls.starts_on;
    var quantity = controls.quantity;
    var endsOn = form.querySelector("[data-ends-on]");
    var alignmentNote = form.querySelector("[data-alignment-note]");
    var recommended = form.querySelector("[data-recommended]");
    var total = form.querySelector("[data-total]");
    var totalFormula = form.querySelector("[data-total-formula]");
    var quantityHelp = form.querySelector("[data-quantity-help]");
    var whatIf = form.querySelector("[data-what-if]");
    var timer = null;
    var running = null; // the request in flight: {controller, query}
    var shown = null; // the query whose answer is on the page (the server's own render at first)
    var submitting = false;

    // The server answers as the operator types: the no-JavaScript button is not needed.
    Array.prototype.forEach.call(form.querySelectorAll("[data-preview-button]"), function (button) {
      button.hidden = true;
    });

    // Only the selected tariff's periods are listed (each <option> names its tariff).
    function filterPeriods() {
      if (!period || !tariff) {
        return;
      }
      var tariffId = tariff.value;
      Array.prototype.forEach.call(period.querySelectorAll("optgroup"), function (group) {
        var visible = false;
        Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
          var match = !tariffId || option.getAttribute("data-tariff") === tariffId;
          option.hidden = !match;
          visible = visible || match;
        });
        group.hidden = !visible;
      });
      var chosen = period.selectedOptions[0];
      if (chosen && chosen.value && tariffId && chosen.getAttribute("data-tariff") !== tariffId) {
        period.value = "";
      }
    }

    function query() {
      var params = new URLSearchParams();
      Object.keys(preview.params || {}).forEach(function (name) {
        params.set(name, preview.params[name]);
      });
      Object.keys(controls).forEach(function (name) {
        // A disabled control (a base's fixed tariff) is not sent: the server knows it.
        if (!controls[name].disabled) {
          params.set(name, controls[name].value);
        }
      });
      return params.toString();
    }

    function showPeriods(periods) {
      if (!period || !periods) {
        return;
      }
      periods.forEach(function (item) {
        var option = period.querySelector('option[value="' + CSS.escape(item.value) + '"]');
        if (option) {
          option.textContent = item.label;
          option.disabled = Boolean(item.disabled);
        }
      });
    }

    function showErrors(errors) {
      Array.prototype.forEach.call(form.querySelectorAll("[data-field-errors]"), function (box) {
        var name = box.getAttribute("data-field-errors");
        var messages = (errors && errors[name]) || [];
        box.replaceChildren.apply(
          box,
          messages.map(function (error) {
            var line = document.createElement("p");
            line.textContent = error.message;
            return line;
          })
        );
        box.hidden = messages.length === 0;
        var row = box.closest(".form-row");
        if (row) {
          row.classList.toggle("form-row--error", messages.length > 0);
        }
        if (controls[name]) {
          if (messages.length) {
            controls[name].setAttribute("aria-invalid", "true");
          } else {
            controls[name].removeAttribute("aria-invalid");
          }
        }
      });
      // The summary of the last submit no longer describes what is on the form.
      var submitted = form.querySelector(".form-errors");
      if (submitted) {
        submitted.hidden = true;
      }
    }

    function show(answer) {
      setText(endsOn, answer.ends_on || "—");
      if ("total" in answer) {
        setText(total, answer.total || "—");
        setText(totalFormula, answer.total_formula || "");
      }
      if (alignmentNote && "alignment_note" in answer) {
        alignmentNote.textContent = answer.alignment_note || "";
        alignmentNote.hidden = !answer.alignment_note;
      }
      if (quantity && answer.quantity_max) {
        quantity.max = String(answer.quantity_max);
      }
      if ("quantity_help" in answer) {
        setText(quantityHelp, answer.quantity_help);
      }
      showPeriods(answer.periods);
      showErrors(answer.errors);
      if (whatIf && "timeline_html" in answer) {
        // Markup rendered by the server's template (escaped there); no script in it.
        whatIf.innerHTML = answer.timeline_html;
      }
    }

    function ask() {
      window.clearTimeout(timer);
      timer = null;
      var current = query();
      // Once the form is being submitted the page is about to be replaced; and
      // values already asked about (a «change» after «input») need no new answer.
      if (submitting || (running ? running.query === current : shown === current)) {
        return;
      }
      if (running) {
        running.controller.abort();
      }
      var mine = { controller: new AbortController(), query: current };
      running = mine;
      form.setAttribute("aria-busy", "true");
      fetch(preview.url + "?" + current, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: mine.controller.signal,
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("preview answered " + response.status);
          }
          return response.json();
        })
        .then(function (answer) {
          if (running === mine && !submitting) {
            shown = mine.query;
            show(answer);
          }
        })
        .catch(function (error) {
          // An aborted request was replaced by a newer one; any other failure
          // leaves the last answer on the page, and the submit still validates.
          if (error.name !== "AbortError" && window.console) {
            window.console.warn(error);
          }
        })
        .finally(function () {
          if (running === mine) {
            running = null;
            form.removeAttribute("aria-busy");
          }
        });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    }

    if (tariff) {
      tariff.addEventListener("change", function () {
        filterPeriods();
        ask();
      });
    }
    if (period) {
      period.addEventListener("change", function () {
        // Choosing a period of another tariff chooses that tariff too.
        var chosen = period.selectedOptions[0];
        var owner = chosen ? chosen.getAttribute("data-tariff") : null;
        if (owner && tariff && !tariff.disabled && tariff.value !== owner) {
          tariff.value = owner;
          filterPeriods();
        }
        ask();
      });
    }
    [start, quantity].forEach(function (control) {
      if (control) {
        control.addEventListener("input", later);
        control.addEventListener("change", later);
      }
    });
    if (recommended && start) {
      recommended.addEventListener("click", function (event) {
        event.preventDefault();
        start.value = recommended.getAttribute("data-recommended");
        ask();
        start.focus();
      });
    }

    // A submit replaces the page: no more questions, and no late answer moves
    // the buttons under the operator's second click.
    form.addEventListener("submit", function () {
      window.clearTimeout(timer);
      submitting = true;
      if (running) {
        running.controller.abort();
      }
    });
    // «Back» to this page from the back/forward cache: it is a form to edit again.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        submitting = false;
      }
    });

    filterPeriods();
    var stale = Object.keys(controls).some(function (name) {
      return changedSinceRender(controls[name]);
    });
    if (stale) {
      ask();
    } else {
      shown = query(); // the server rendered the page for these values
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-subscription-form]"), setup);
})();
