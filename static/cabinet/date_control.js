/* Fresh Cabinet: the one date control (cabinet/widgets.py renders it).

   Every <input data-date-control="day|month"> gets the vendored calendar
   (static/vendor/vanillajs-datepicker, MIT) in the page's language
   (<html lang>: ru, kk, en), whatever the browser's locale. A day always reads
   ДД.ММ.ГГГГ and a month ММ.ГГГГ; typed ISO (2026-12-05, 2026-12) is accepted
   and rewritten. The server parses the same formats, so the forms work
   without this script. Options come from data- attributes; no inline script.

   Keyboard: typing works as in any field; the calendar opens on focus (or ↓),
   arrows move the day (the month in a month control), Enter picks it without
   submitting the form, Esc closes the calendar. A date typed wrong is kept as
   typed (never silently replaced by the previous one) and marked invalid with
   the cabinet's message; the server says the same next to the field.

   window.FreshCabinetDates.parse(text, kind) / .format(date, kind) are the
   one reading of these formats for other scripts of the cabinet. */
(function () {
  "use strict";

  var Datepicker = window.Datepicker;

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // A local-time Date for year/month/day, or null when there is no such day.
  function makeDate(year, month, day) {
    var date = new Date(2000, 0, 1);
    date.setFullYear(year, month - 1, day);
    var exists = date.getFullYear() === year && date.getMonth() === month - 1 && date.getDate() === day;
    return exists && year >= 1000 ? date : null;
  }

  var KINDS = {
    day: {
      parse: function (text) {
        var value = (text || "").trim();
        var match = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(value);
        if (match) {
          return makeDate(Number(match[3]), Number(match[2]), Number(match[1]));
        }
        match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
        return match ? makeDate(Number(match[1]), Number(match[2]), Number(match[3])) : null;
      },
      format: function (date) {
        return pad(date.getDate()) + "." + pad(date.getMonth() + 1) + "." + date.getFullYear();
      },
      pickLevel: 0,
    },
    month: {
      parse: function (text) {
        var value = (text || "").trim();
        var match = /^(\d{1,2})\.(\d{4})$/.exec(value);
        if (match) {
          return makeDate(Number(match[2]), Number(match[1]), 1);
        }
        match = /^(\d{4})-(\d{1,2})$/.exec(value);
        return match ? makeDate(Number(match[1]), Number(match[2]), 1) : null;
      },
      format: function (date) {
        return pad(date.getMonth() + 1) + "." + date.getFullYear();
      },
      pickLevel: 1,
    },
  };

  window.FreshCabinetDates = {
    parse: function (text, kind) {
      return (KINDS[kind || "day"] || KINDS.day).parse(text);
    },
    format: function (date, kind) {
      return (KINDS[kind || "day"] || KINDS.day).format(date);
    },
  };

  if (typeof Datepicker !== "function") {
    return; // the vendored calendar did not load: typing still works
  }

  function pageLanguage() {
    var lang = (document.documentElement.lang || "ru").toLowerCase().split("-")[0];
    return lang === "en" || Datepicker.locales[lang] ? lang : "en";
  }

  function setup(input) {
    var kind = KINDS[input.getAttribute("data-date-control")] ? input.getAttribute("data-date-control") : "day";
    var rules = KINDS[kind];
    var message = input.getAttribute("data-invalid-message") || "";
    // What the user typed and the calendar has not taken (null once it has).
    var typed = null;
    // What the server rendered: a mistyped value comes back with its error next
    // to the field and must stay as typed (the calendar would erase it).
    var sent = input.value;

    function check() {
      var text = input.value.trim();
      input.setCustomValidity(!text || rules.parse(text) ? "" : message);
    }

    // The cabinet's «today» (its one clock, Asia/Almaty), not the browser's.
    var today = KINDS.day.parse(input.getAttribute("data-today") || "");

    function isToday(date, viewId) {
      if (!today) {
        return false;
      }
      var sameMonth = date.getFullYear() === today.getFullYear() && date.getMonth() === today.getMonth();
      return viewId === 0 ? sameMonth && date.getDate() === today.getDate() : sameMonth;
    }

    var picker = new Datepicker(input, {
      language: pageLanguage(),
      format: {
        toValue: function (text) {
          var date = rules.parse(text);
          return date ? date : NaN;
        },
        toDisplay: function (date) {
          return rules.format(date);
        },
      },
      pickLevel: rules.pickLevel,
      startView: rules.pickLevel,
      weekStart: 1,
      autohide: true,
      defaultViewDate: today || undefined,
      beforeShowDay: function (date) {
        return isToday(date, 0) ? "today" : "";
      },
      beforeShowMonth: function (date) {
        return isToday(date, 1) ? "today" : "";
      },
      updateOnBlur: true,
      // Esc only closes (the library's default would also open a closed calendar).
      shortcutKeys: { toggle: null, hide: { key: "Escape" } },
    });
    if (sent.trim() && !rules.parse(sent)) {
      input.value = typed = sent;
    }

    var element = picker.pickerElement;
    [
      [".prev-button", input.getAttribute("data-label-previous")],
      [".next-button", input.getAttribute("data-label-next")],
    ].forEach(function (pair) {
      var button = element.querySelector(pair[0]);
      if (button && pair[1]) {
        button.setAttribute("aria-label", pair[1]);
        button.setAttribute("title", pair[1]);
      }
    });

    // Before the library's own handler (capture phase on the target runs first).
    input.addEventListener(
      "keydown",
      function (event) {
        if (!picker.active) {
          return;
        }
        if (event.key === "Enter") {
          // Enter picks the date; it must not also submit the form (post a document).
          event.preventDefault();
        } else if (event.key === "Escape" && picker.editMode) {
          picker.hide();
          event.preventDefault();
        }
      },
      true
    );

    input.addEventListener("input", function () {
      typed = input.value;
      var date = rules.parse(typed);
      if (date && picker.active) {
        picker.setFocusedDate(date); // the calendar follows the typing
      }
      check();
    });

    // A value set by another script (e.g. «Рекомендуемая дата») is read when the field gets focus.
    input.addEventListener("focus", function () {
      if (rules.parse(input.value)) {
        picker.update({ autohide: false });
      }
    });

    // The library writes the value itself; tell the form's other scripts.
    input.addEventListener("changeDate", function () {
      typed = null;
      check();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });

    // On blur the library puts the previous date back over a mistyped one; the
    // user's text stays instead, marked invalid (focusout comes after blur).
    input.addEventListener("focusout", function () {
      if (typed !== null && typed.trim() && !rules.parse(typed) && input.value !== typed) {
        input.value = typed;
      }
      check();
    });

    check();
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-date-control]"), setup);
})();
