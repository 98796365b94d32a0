/* Fresh Cabinet: conveniences of the subscription forms (a base subscription
   and «Подписка (создание)» of an extension). The server renders everything
   this script updates, so the forms work without it; the rules are checked on
   the server. Data come from a json_script element named by the form's
   data-form-data attribute; no inline scripts.

   «по» is computed exactly as subscriptions/periods.py does: day-based periods
   add days, month-based ones add calendar months (a missing day becomes the
   month's last day), and the last day is the day before «start + period». */
(function () {
  "use strict";

  var DAY_MS = 24 * 60 * 60 * 1000;

  function parseISO(text) {
    var match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    if (!match) {
      return null;
    }
    var year = Number(match[1]);
    var month = Number(match[2]) - 1;
    var day = Number(match[3]);
    var date = new Date(Date.UTC(year, month, day));
    return date.getUTCMonth() === month && date.getUTCDate() === day ? date : null;
  }

  function addDays(date, days) {
    return new Date(date.getTime() + days * DAY_MS);
  }

  function addMonths(date, months) {
    var index = date.getUTCMonth() + months;
    var year = date.getUTCFullYear() + Math.floor(index / 12);
    var month = ((index % 12) + 12) % 12;
    var lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    return new Date(Date.UTC(year, month, Math.min(date.getUTCDate(), lastDay)));
  }

  function periodEnd(start, period) {
    var after = period.unit === "days" ? addDays(start, period.length) : addMonths(start, period.length);
    return addDays(after, -1);
  }

  function monthsBetween(start, date) {
    return (date.getUTCFullYear() - start.getUTCFullYear()) * 12 + date.getUTCMonth() - start.getUTCMonth();
  }

  function isAligned(baseStart, date) {
    return addMonths(baseStart, monthsBetween(baseStart, date)).getTime() === date.getTime();
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // The active language's formats and texts, from the form's data ("locale");
  // Russian's when the page gave none.
  var locale = {
    date_format: "d.m.Y",
    months: [],
    decimal_separator: ",",
    thousand_separator: "\u00a0",
    texts: {
      quantity_help: "От 1 до %(max)s.",
      selected_period:
        "Выбранный период не подходит: расширение закончится %(ends_on)s, позже окончания " +
        "подписки на тариф (%(base_ends_on)s). Выберите более короткий период или более " +
        "раннюю дату начала.",
      total_formula: "цена периода × количество расширений",
    },
  };

  // Django's date format letters the cabinet's short formats use (d.m.Y, d M Y).
  function formatDate(date) {
    var parts = {
      d: pad(date.getUTCDate()),
      j: String(date.getUTCDate()),
      m: pad(date.getUTCMonth() + 1),
      n: String(date.getUTCMonth() + 1),
      M: locale.months[date.getUTCMonth()] || pad(date.getUTCMonth() + 1),
      Y: String(date.getUTCFullYear()),
    };
    return locale.date_format.replace(/[djmnMY]/g, function (letter) {
      return parts[letter];
    });
  }

  function formatTenge(amount) {
    var whole = Math.round(amount * 100) % 100 === 0;
    var text = whole ? String(Math.round(amount)) : amount.toFixed(2);
    var parts = text.split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, locale.thousand_separator);
    return parts.join(locale.decimal_separator) + "\u00a0₸";
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, name) {
      return name in values ? values[name] : whole;
    });
  }

  function setup(form) {
    var source = document.getElementById(form.getAttribute("data-form-data"));
    if (!source) {
      return;
    }
    var data = JSON.parse(source.textContent);
    if (data.locale) {
      locale = data.locale;
    }
    var base = data.base
      ? { start: parseISO(data.base.starts_on), end: parseISO(data.base.ends_on) }
      : null;
    var tariff = form.elements.namedItem("tariff");
    var period = form.elements.namedItem("period");
    var start = form.elements.namedItem("starts_on");
    var quantity = form.elements.namedItem("quantity");
    var endsOn = form.querySelector("[data-ends-on]");
    var periodNote = form.querySelector("[data-period-note]");
    var alignmentNote = form.querySelector("[data-alignment-note]");
    var recommended = form.querySelector("[data-recommended]");
    var total = form.querySelector("[data-total]");
    var totalFormula = form.querySelector("[data-total-formula]");
    var quantityHelp = form.querySelector("[data-quantity-help]");

    function selectedPeriod() {
      return period && period.value ? data.periods[period.value] || null : null;
    }

    function selectedTariffId() {
      if (!tariff) {
        return "";
      }
      // A fixed (disabled) tariff still filters the periods.
      return tariff.value;
    }

    function filterPeriods() {
      if (!period || !tariff) {
        return;
      }
      var tariffId = selectedTariffId();
      Array.prototype.forEach.call(period.querySelectorAll("optgroup"), function (group) {
        var visible = false;
        Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
          var match = !tariffId || option.getAttribute("data-tariff") === tariffId;
          option.hidden = !match;
          visible = visible || match;
        });
        group.hidden = !visible;
      });
      var current = selectedPeriod();
      if (current && tariffId && String(current.tariff) !== tariffId) {
        period.value = "";
      }
    }

    function updateQuantityLimit() {
      if (!quantity || !tariff) {
        return;
      }
      var info = data.tariffs[selectedTariffId()];
      var max = info && info.max_quantity;
      if (!max) {
        return;
      }
      quantity.max = String(max);
      if (quantityHelp) {
        quantityHelp.textContent = fill(locale.texts.quantity_help, { max: max });
      }
    }

    function updateAvailability(startDate) {
      if (!period || !base || !base.end) {
        return;
      }
      var note = "";
      Array.prototype.forEach.call(period.options, function (option) {
        var info = data.periods[option.value];
        if (!info) {
          return;
        }
        var reason = "";
        var end = null;
        if (startDate) {
          end = periodEnd(startDate, info);
          if (end > base.end) {
            reason = fill(data.unavailable_template, {
              ends_on: formatDate(end),
              base_ends_on: formatDate(base.end),
            });
          }
        }
        option.textContent =
          info.label + " — " + formatTenge(Number(info.price)) + (reason ? " (" + reason + ")" : "");
        // The selected period stays selectable; the note below says why it does not fit.
        option.disabled = Boolean(reason) && !option.selected;
        if (reason && option.selected) {
          note = fill(locale.texts.selected_period, {
            ends_on: formatDate(end),
            base_ends_on: formatDate(base.end),
          });
        }
      });
      if (periodNote) {
        periodNote.textContent = note;
        periodNote.hidden = !note;
      }
    }

    function updateAlignment(startDate) {
      if (!alignmentNote || !base || !base.start) {
        return;
      }
      var show = Boolean(startDate) && !isAligned(base.start, startDate);
      alignmentNote.textContent = show ? data.alignment_note : "";
      alignmentNote.hidden = !show;
    }

    function updateEnd(startDate) {
      if (!endsOn) {
        return;
      }
      var info = selectedPeriod();
      endsOn.textContent = startDate && info ? formatDate(periodEnd(startDate, info)) : "—";
    }

    function updateTotal() {
      if (!total) {
        return;
      }
      var info = selectedPeriod();
      var count = quantity ? Number(quantity.value) : 1;
      if (info && Number.isInteger(count) && count >= 1) {
        var price = Number(info.price);
        total.textContent = formatTenge(price * count);
        if (totalFormula) {
          totalFormula.textContent = formatTenge(price) + " × " + count;
        }
      } else {
        total.textContent = "—";
        if (totalFormula) {
          totalFormula.textContent = locale.texts.total_formula;
        }
      }
    }

    function update() {
      var startDate = start ? parseISO(start.value) : null;
      updateQuantityLimit();
      updateAvailability(startDate);
      updateAlignment(startDate);
      updateEnd(startDate);
      updateTotal();
    }

    if (tariff) {
      tariff.addEventListener("change", function () {
        filterPeriods();
        update();
      });
    }
    if (period) {
      period.addEventListener("change", function () {
        // Choosing a period of another tariff chooses that tariff too.
        var info = selectedPeriod();
        if (info && tariff && !tariff.disabled && tariff.value !== String(info.tariff)) {
          tariff.value = String(info.tariff);
          filterPeriods();
        }
        update();
      });
    }
    if (start) {
      start.addEventListener("input", update);
      start.addEventListener("change", update);
    }
    if (quantity) {
      quantity.addEventListener("input", update);
    }
    if (recommended && start) {
      recommended.addEventListener("click", function (event) {
        event.preventDefault();
        start.value = recommended.getAttribute("data-recommended");
        update();
        start.focus();
      });
    }
    filterPeriods();
    update();
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-subscription-form]"), setup);
})();
