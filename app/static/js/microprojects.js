// Micro-project pages: the money left while choosing projects on the ballot, and similar ideas
// while writing one. Texts come from the page (data attributes and hidden elements), not from here.
(function () {
  "use strict";

  function yuan(fen) {
    var sign = fen < 0 ? "-" : "";
    fen = Math.abs(fen);
    var whole = Math.floor(fen / 100), cents = fen % 100;
    var text = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + (cents ? text + "." + (cents < 10 ? "0" : "") + cents : text);
  }

  var ballot = document.getElementById("ballot");
  if (ballot) {
    var mode = ballot.dataset.mode, k = parseInt(ballot.dataset.k, 10), fund = parseInt(ballot.dataset.fund, 10);
    var boxes = ballot.querySelectorAll("input[name=pick]");
    var button = document.getElementById("cast");
    var update = function () {
      var picked = 0, cost = 0;
      boxes.forEach(function (box) {
        if (box.checked) { picked += 1; cost += parseInt(box.dataset.cost, 10); }
      });
      var wrong;
      if (mode === "within_fund") {
        var left = fund - cost;
        var out = document.getElementById("money-left");
        out.textContent = yuan(left);
        out.dataset.left = String(left);
        document.getElementById("money-meter").value = Math.max(left, 0);
        wrong = left < 0;
        document.getElementById("over-fund").hidden = !wrong;
        boxes.forEach(function (box) {
          box.closest("label").classList.toggle("unaffordable", !box.checked && parseInt(box.dataset.cost, 10) > left);
        });
      } else {
        document.getElementById("picked-count").textContent = String(picked);
        wrong = picked > k;
        document.getElementById("too-many").hidden = !wrong;
      }
      button.disabled = wrong || picked === 0;
    };
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  var form = document.getElementById("idea-form");
  if (form) {
    var title = form.querySelector("input[name=title]");
    var box = document.getElementById("similar");
    var timer = null;
    title.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = title.value.trim();
        if (q.length < 2) { box.hidden = true; return; }
        fetch(form.dataset.similarUrl + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (data) {
            var list = box.querySelector("ul");
            list.textContent = "";
            data.items.forEach(function (item) {
              var li = document.createElement("li"), a = document.createElement("a");
              a.href = item.url; a.textContent = item.title + " (" + item.cosign_count + ")";
              li.appendChild(a); list.appendChild(li);
            });
            box.hidden = data.items.length === 0;
          });
      }, 300);
    });
  }
}());
