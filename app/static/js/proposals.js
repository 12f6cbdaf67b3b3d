// While a proposal's title is typed, show similar existing ones so people co-sign instead.
(function () {
  var form = document.getElementById("proposal-form");
  if (!form) { return; }
  var input = form.querySelector("[name=title]");
  var box = document.getElementById("similar");
  var url = form.getAttribute("data-similar-url");
  var exclude = form.getAttribute("data-exclude");
  var timer = null;
  var last = "";

  function render(items) {
    box.textContent = "";
    if (!items.length) { return; }
    var h = document.createElement("h2");
    h.textContent = "已有相似的提案，可以直接附议：";
    box.appendChild(h);
    var ul = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;
      li.appendChild(a);
      var s = document.createElement("span");
      s.className = "hint";
      s.textContent = " " + item.state_label + " · 附议 " + item.cosign_count;
      li.appendChild(s);
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function lookup() {
    var q = input.value.trim();
    if (q === last) { return; }
    last = q;
    if (q.length < 2) { render([]); return; }
    var params = new URLSearchParams({ q: q });
    if (exclude) { params.set("exclude", exclude); }
    fetch(url + "?" + params.toString(), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) { if (input.value.trim() === q) { render(data.items || []); } })
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 300);
  });
})();
