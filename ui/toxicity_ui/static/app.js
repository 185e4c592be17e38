// Progressive enhancement only: the form works without this file.
(function () {
  "use strict";
  var form = document.getElementById("check-form");
  var text = document.getElementById("text");
  var counter = document.getElementById("char-count");
  var button = document.getElementById("submit");
  if (!form || !text || !counter || !button) { return; }
  var max = parseInt(text.getAttribute("data-max"), 10);

  function updateCount() {
    var n = text.value.length;
    counter.textContent = n.toLocaleString() + " / " + max.toLocaleString() + " characters";
    counter.classList.toggle("near-limit", n > max * 0.9);
  }
  text.addEventListener("input", updateCount);
  updateCount();

  // Ctrl/Cmd+Enter submits from the text area.
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { form.requestSubmit(); }
  });
  form.addEventListener("submit", function () {
    button.disabled = true;
    button.textContent = "Checking…";
    form.setAttribute("aria-busy", "true");
  });
  // Coming back with the browser's back button must not leave the button disabled.
  window.addEventListener("pageshow", function () {
    button.disabled = false;
    button.textContent = "Submit";
    form.removeAttribute("aria-busy");
  });
})();
