/* A long operation's page: follow the job without reloading the page.
 *
 * The server says everything (templates/cabinet/jobs/detail.html,
 * cabinet/views/jobs.py): the status URL, how often to ask, the text to show.
 * Every POLL ms this asks the job's state, moves the <progress> bar and
 * replaces the status text; once the job has finished (done or failed) it
 * reloads the page, which the server renders with «Скачать» or the error.
 * Without JavaScript the page reloads itself (<noscript> meta refresh) and has
 * «Обновить». A network hiccup only slows the asking down.
 */
(function () {
  "use strict";

  var box = document.querySelector("[data-job-status-url]");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-job-status-url");
  var interval = parseInt(box.getAttribute("data-poll-ms"), 10) || 1000;
  var bar = box.querySelector("progress");
  var text = box.querySelector("[role=status]");
  var lastText = text ? text.textContent : "";
  var failures = 0;

  function show(status) {
    if (bar && typeof status.total === "number") {
      // An empty job is complete; otherwise the bar runs from 0 to the total.
      bar.max = Math.max(status.total, 1);
      bar.value = status.total ? Math.min(status.done, status.total) : 1;
      bar.textContent = status.percent === null ? "" : status.percent + " %";
    }
    // The status line is a live region: change it only when its words change.
    if (text && status.text !== lastText) {
      text.textContent = status.text;
      lastText = status.text;
    }
  }

  function ask() {
    fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) {
        if (response.redirected) {
          // Signed out meanwhile (the answer is the login page): show it.
          window.location.reload();
          throw new Error("signed out");
        }
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (status) {
        failures = 0;
        if (status.finished) {
          window.location.reload();
          return;
        }
        show(status);
        window.setTimeout(ask, interval);
      })
      .catch(function () {
        failures += 1;
        window.setTimeout(ask, interval * Math.min(1 + failures, 10));
      });
  }

  window.setTimeout(ask, interval);
})();
