// The notice board: the print sheet's button (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
})();
