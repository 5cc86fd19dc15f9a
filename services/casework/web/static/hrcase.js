// hrcase: the little JavaScript the pages use. Everything works without it.
"use strict";
document.addEventListener("submit", function (event) {
  // Decisions that close or reopen a case ask once more.
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); return; }
  // One submission per click: a second press would send the command twice.
  var button = form.querySelector("button[type=submit]");
  if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
});
document.addEventListener("DOMContentLoaded", function () {
  // After a refused form, bring the first field in error (or the message) into view and focus.
  var invalid = document.querySelector("[aria-invalid=true], .action .flash.error");
  if (invalid) { invalid.setAttribute("tabindex", invalid.getAttribute("tabindex") || "-1"); invalid.focus(); }
});
