// While a proposal's title is typed, show similar existing ones so people co-sign instead.
(function () {
  var T = window.yishiText;   // the page's words (app/core/script_texts.py)
  var form = document.getElementById("proposal-form");
  if (!form) { return; }
  var input = form.querySelector("[name=title]");
  var box = document.getElementById("similar");
  var url = form.getAttribute("data-similar-url");
  var exclude = form.getAttribute("data-exclude");
  var timer = null;
  var last = "";

  function list(heading, items, cosign) {
    var h = document.createElement("h2");
    h.textContent = heading;
    box.appendChild(h);
    var ul = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.setAttribute("data-similar-id", item.id);
      li.setAttribute("data-can-cosign", cosign ? "1" : "0");
      var a = document.createElement("a");
      a.href = item.url;
      if (cosign) {
        a.textContent = item.title;
        li.appendChild(a);
        var s = document.createElement("span");
        s.className = "hint";
        s.textContent = " " + item.state_label + " · " + T("similar.cosigns", { num: item.cosign_count });
        li.appendChild(s);
      } else {
        // Closed, merged or answered: not to co-sign, but to read how it was answered.
        li.appendChild(document.createTextNode(item.title + " "));
        a.textContent = item.next;
        li.appendChild(a);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function render(items) {
    box.textContent = "";
    var open = items.filter(function (item) { return item.can_cosign; });
    var rest = items.filter(function (item) { return !item.can_cosign; });
    if (open.length) { list(T("similar.open"), open, true); }
    if (rest.length) { list(T("similar.closed"), rest, false); }
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
