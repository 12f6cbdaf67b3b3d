// Small page behaviours kept out of the HTML so the Content-Security-Policy can forbid inline script.
document.addEventListener("click", function (event) {
  var target = event.target.closest(".js-print");
  if (target) { window.print(); }
  var confirmButton = event.target.closest("[data-confirm]");
  if (confirmButton && !window.confirm(confirmButton.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// Words for people in scripts: the page renders them, translated, as JSON in
// <script type="application/json" id="i18n-messages"> (app/core/script_texts.py); `%(name)s` is
// filled from `params`. A key the page lacks shows as itself, never as a hard-coded sentence.
window.yishiText = (function () {
  var texts = null;
  return function (key, params) {
    if (texts === null) {
      var node = document.getElementById("i18n-messages");
      try { texts = node ? JSON.parse(node.textContent) : {}; } catch (e) { texts = {}; }
    }
    var text = texts[key] === undefined ? key : texts[key];
    return text.replace(/%\((\w+)\)[sd]/g, function (whole, name) {
      return params && params[name] !== undefined && params[name] !== null ? String(params[name]) : whole;
    });
  };
})();
