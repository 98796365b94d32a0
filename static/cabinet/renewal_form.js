/* Fresh Cabinet: «Продление подписки». When the period changes, show the
   renewal's «по», its price and what happens to each carried extension.
   Everything shown is computed on the server (json_script data named by the
   form's data-form-data attribute); without this script the page shows the
   same for the period it was rendered with. No inline scripts. */
(function () {
  "use strict";

  function setup(form) {
    var source = document.getElementById(form.getAttribute("data-form-data"));
    var select = form.querySelector("select[name='period']");
    if (!source || !select) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var endsOn = form.querySelector("[data-ends-on]");
    var total = form.querySelector("[data-total]");
    var plans = form.querySelectorAll("[data-carry-plan]");
    var warning = form.querySelector("[data-renewal-warning]");

    function update() {
      var period = data.periods[select.value];
      endsOn.textContent = period ? period.ends_on : "—";
      total.textContent = period ? period.price : "—";
      if (warning) {
        warning.textContent = period ? period.warning : "";
        warning.hidden = !(period && period.warning);
      }
      Array.prototype.forEach.call(plans, function (node) {
        var plan = period ? period.extensions[Number(node.getAttribute("data-carry-plan"))] : null;
        node.textContent = plan ? "→ " + plan.text : "";
        node.parentNode.classList.toggle("is-problem", Boolean(plan && plan.problem));
      });
    }

    select.addEventListener("change", update);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-renewal-form]"), setup);
  });
})();
