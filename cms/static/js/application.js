// The application form: add rows, work out line amounts and the total, and save as you type.
(function () {
  "use strict";
  var form = document.getElementById("application-form");
  if (!form) return;

  function cents(text) {
    var s = String(text || "").replace(/[,，\s¥￥]/g, "");
    if (!/^\d+(\.\d{1,2})?$/.test(s)) return null;
    var parts = s.split(".");
    return parseInt(parts[0], 10) * 100 + (parts[1] ? parseInt((parts[1] + "0").slice(0, 2), 10) : 0);
  }
  function fmt(c) { return (c / 100).toFixed(2); }

  var out = form.querySelector("[data-budget-total]");
  // The site's money format ("¥2,500.00", as the money filter writes it): the symbol is taken from
  // the server's own rendering of zero, the thousands grouped with commas.
  var symbol = ((out && out.getAttribute("data-money-zero")) || "¥0.00").replace(/[\d.,\s]+$/, "");
  function money(c) {
    var parts = fmt(c).split(".");
    return symbol + parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + parts[1];
  }

  var requested = form.querySelector('input[name="requested_amount"]');
  var lastTotal = null, loaded = false;

  function recompute() {
    var total = 0, ok = true;
    form.querySelectorAll(".budget-line").forEach(function (row) {
      var del = row.querySelector('input[name$="-DELETE"]');
      if (del && del.checked) return;
      var unit = row.querySelector('input[name$="-unit_cost"]');
      var qty = row.querySelector('input[name$="-quantity"]');
      var amount = row.querySelector('input[name$="-amount"]');
      var u = cents(unit && unit.value), q = parseFloat(qty && qty.value);
      if (u !== null && !isNaN(q) && amount && document.activeElement !== amount) {
        amount.value = fmt(Math.round(u * q));
      }
      var a = cents(amount && amount.value);
      if (a === null) { if (amount && amount.value) ok = false; } else { total += a; }
    });
    if (out) out.textContent = ok ? money(total) : "—";
    // The request follows the total only while it is empty or equal to the previous total: a
    // figure the group typed themselves is never overwritten.
    if (!requested) return;
    var current = cents(requested.value);
    if (!loaded) {
      // At load, a request that differs from a whole, valid total was typed by the group. With a
      // line still wrong the total is unknown: the request followed the lines as they were, and
      // goes on following them once the line is put right.
      loaded = true;
      if (ok && current !== null && current !== total && current !== 0) requested.dataset.touched = "1";
      if (!ok) lastTotal = current;
    }
    if (ok) {
      if (!requested.dataset.touched && total > 0 && (current === null || current === 0 || current === lastTotal)) {
        requested.value = fmt(total);
      }
      lastTotal = total;
    }
  }

  form.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function () {
      var prefix = button.getAttribute("data-add-row");
      var rows = form.querySelector('[data-rows="' + prefix + '"]');
      var totalInput = form.querySelector("#id_" + prefix + "-TOTAL_FORMS");
      var last = rows.lastElementChild;
      if (!last || !totalInput) return;
      var n = parseInt(totalInput.value, 10);
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input, select, textarea, label").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(new RegExp(prefix + "-\\d+-"), prefix + "-" + n + "-"));
        });
        if (el.tagName === "INPUT" && el.type !== "checkbox") el.value = "";
        if (el.type === "checkbox") el.checked = false;
      });
      copy.querySelectorAll(".errorlist").forEach(function (e) { e.remove(); });
      rows.appendChild(copy);
      totalInput.value = n + 1;
    });
  });

  if (requested) requested.addEventListener("input", function () { requested.dataset.touched = "1"; });

  var status = form.querySelector("[data-autosave-status]");
  var dirty = false, saving = false;
  form.addEventListener("input", function () { dirty = true; recompute(); });
  form.addEventListener("change", function () { dirty = true; recompute(); });

  // What the server could not save is marked beside its input, with the reason. Each answer
  // judges the whole form, so it replaces every earlier mark (the page's own included).
  function mark(errors) {
    form.querySelectorAll(".errorlist").forEach(function (e) { e.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    Object.keys(errors || {}).forEach(function (name) {
      var input = form.elements[name];
      if (!input || !input.parentNode) return;
      input.setAttribute("aria-invalid", "true");
      var note = document.createElement("span");
      note.className = "errorlist autosave-error";
      note.setAttribute("data-autosave-error", "");
      note.textContent = errors[name];
      input.parentNode.insertBefore(note, input.nextSibling);
    });
  }
  function say(text, saved) {
    if (!status) return;
    status.textContent = (saved ? "✓ " : "⚠ ") + text;
    status.classList.toggle("unsaved", !saved);
  }

  function autosave() {
    if (!dirty || saving) return;
    saving = true; dirty = false;
    fetch(form.getAttribute("data-autosave-url"), { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        mark(data.errors);
        say(data.message || data.error || "", data.saved === true);
      })
      .catch(function () {
        dirty = true;
        say(status ? status.getAttribute("data-offline-text") : "", false);
      })
      .finally(function () { saving = false; });
  }
  setInterval(autosave, 8000);
  window.addEventListener("beforeunload", function () { if (dirty && navigator.sendBeacon) navigator.sendBeacon(form.getAttribute("data-autosave-url"), new FormData(form)); });
  recompute();
})();
