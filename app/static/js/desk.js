// The check-in desk: the roster is loaded once and searched here as the secretary types; each tap
// or card is one POST; who is present follows the room's `presence_changed` over /live.
(function () {
  "use strict";
  var T = window.yishiText;   // the page's words (app/core/script_texts.py)
  var root = document.getElementById("desk");
  if (!root) { return; }
  var meetingId = parseInt(root.getAttribute("data-meeting-id"), 10);
  var csrf = root.getAttribute("data-csrf");
  var defaultUnit = root.getAttribute("data-unit") || T("unit.persons");
  var SHOW_AT_MOST = 300;   // rows per list: a tablet stays quick in a room of thousands

  var members = [];
  var byId = {};
  var present = {};   // user id -> "hall" | "online"
  var quorum = null;
  var last = null;    // the last check-in made here: {user_id, name}

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  // -- search: the same keys and rule as app/meetings/desk_rules.py --------------------------
  var SEPARATORS = /(号楼|楼|栋|幢|单元|[\s\/\\_.,，、—–－-])+/g;
  function normalise(query) {
    var text = (query || "").normalize("NFKC").trim().toLowerCase();
    text = text.replace(SEPARATORS, "-").replace(/室/g, "").replace(/号/g, "");
    return text.replace(/^-+/, "");
  }
  function matches(keys, query) {
    if (!query) { return true; }
    if (keys.name.indexOf(query) >= 0) { return true; }
    if (keys.address && keys.address.indexOf(query) === 0) { return true; }
    if (query.indexOf("-") >= 0) { return false; }
    return (!!keys.room && keys.room.indexOf(query) === 0) ||
      (/^\d+$/.test(query) && !!keys.phone4 && keys.phone4.indexOf(query) === 0);
  }

  // -- talking to the server -------------------------------------------------------------------
  function post(url, payload) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (body && body.ok) { return body; }
        var error = (body && body.error) || { code: "server_error", message: T("desk.failed", { status: response.status }) };
        throw error;
      });
    }, function () {
      throw { code: "offline", message: T("desk.offline") };
    });
  }

  function loadRoster() {
    return fetch(root.getAttribute("data-roster-url"), { credentials: "same-origin", cache: "no-store",
                                                         headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        members = data.members;
        byId = {};
        members.forEach(function (m) { byId[m.user_id] = m; });
        present = data.present;
        quorum = data.quorum;
        root.setAttribute("data-ready", "1");
        render();
      });
  }

  // -- rendering -----------------------------------------------------------------------------------
  function modeLabel(mode) { return mode === "hall" ? T("desk.mode_hall") : mode === "online" ? T("desk.mode_online") : T("presence.absent"); }

  function personRow(m) {
    var mode = present[String(m.user_id)] || "";
    var li = el("li", null, "desk-person");
    li.setAttribute("data-user-id", m.user_id);
    li.setAttribute("data-present", mode);
    var tap = el("button", null, "desk-tap");
    tap.type = "button";
    tap.setAttribute("data-action", "check_in");
    tap.setAttribute("data-user-id", m.user_id);
    tap.disabled = mode === "hall";
    tap.appendChild(el("span", m.is_voting ? m.name : T("member.non_voting", { name: m.name }), "desk-name"));
    tap.appendChild(el("span", m.address || "—", "desk-address"));
    if (m.phone4) { tap.appendChild(el("span", T("desk.phone_tail", { digits: m.phone4 }), "desk-phone")); }
    tap.appendChild(el("span", modeLabel(mode), "desk-mode"));
    li.appendChild(tap);
    if (mode === "hall") {
      var undo = el("button", T("desk.undo"), "secondary desk-undo");
      undo.type = "button";
      undo.setAttribute("data-action", "undo");
      undo.setAttribute("data-user-id", m.user_id);
      li.appendChild(undo);
    }
    return li;
  }

  function fill(list, people) {
    var fragment = document.createDocumentFragment();
    people.slice(0, SHOW_AT_MOST).forEach(function (m) { fragment.appendChild(personRow(m)); });
    if (people.length > SHOW_AT_MOST) {
      fragment.appendChild(el("li", T("desk.more", { num: people.length - SHOW_AT_MOST }), "hint"));
    }
    clear(list);
    list.appendChild(fragment);
  }

  function renderCount() {
    if (!quorum) { return; }
    var count = $("count-present");
    count.textContent = quorum.present;
    count.setAttribute("data-count", quorum.present);
    $("count-members").textContent = quorum.members;
    $("count-unit").textContent = quorum.unit || defaultUnit;
    var meter = $("desk-meter");
    meter.max = Math.max(quorum.members, 1);
    meter.value = quorum.present;
    var text = $("quorum-text");
    text.textContent = quorum.text;
    text.className = "desk-quorum" + (quorum.met ? " met" : "");
  }

  function renderResults() {
    var raw = $("desk-search").value;
    var query = normalise(raw);
    var list = $("results");
    var summary = $("search-summary");
    if (!query) {
      clear(list);
      summary.textContent = T("desk.summary", { num: members.length });
      return;
    }
    var found = members.filter(function (m) { return matches(m.keys, query); });
    summary.textContent = found.length ? T("desk.found", { num: found.length }) : T("desk.not_found", { text: raw.trim() });
    fill(list, found);
  }

  function renderMissing() {
    var missing = members.filter(function (m) { return !present[String(m.user_id)]; });
    $("missing-count").textContent = "（" + missing.length + "）";
    fill($("missing"), missing);
  }

  function render() {
    renderCount();
    renderResults();
    renderMissing();
  }

  function say(status, text, options) {
    options = options || {};
    var box = $("desk-result");
    box.hidden = false;
    box.setAttribute("data-status", status);
    box.setAttribute("data-code", options.code || "");
    box.setAttribute("data-user-id", options.userId || "");
    $("desk-result-text").textContent = text;
    $("desk-result-undo").hidden = !options.undo;
  }

  // -- actions ----------------------------------------------------------------------------------------
  function applied(body) {
    present = body.present;
    quorum = body.quorum;
    render();
  }

  function checkIn(payload) {
    return post(root.getAttribute("data-check-in-url"), payload).then(function (body) {
      applied(body);
      last = { user_id: body.user_id, name: body.name };
      var m = byId[body.user_id];
      var where = m && m.address ? "（" + m.address + "）" : "";
      say("ok", T(body.changed ? "desk.checked_in" : "desk.already", { name: body.name, where: where }),
          { code: body.changed ? "checked_in" : "already", userId: body.user_id, undo: true });
    }, function (error) {
      say("error", error.message, { code: error.code });
    });
  }

  function undo(userId) {
    return post(root.getAttribute("data-undo-url"), { user_id: userId }).then(function (body) {
      applied(body);
      if (last && last.user_id === userId) { last = null; }
      say("ok", T("desk.undone", { name: body.name }), { code: "undone", userId: userId });
    }, function (error) {
      say("error", error.message, { code: error.code });
    });
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) { return; }
    var userId = parseInt(button.getAttribute("data-user-id"), 10);
    if (button.getAttribute("data-action") === "check_in") {
      checkIn({ user_id: userId });
    } else if (button.getAttribute("data-action") === "undo") {
      undo(userId);
    }
  });

  $("desk-result-undo").addEventListener("click", function () {
    if (last) { undo(last.user_id); }
  });

  $("desk-search").addEventListener("input", renderResults);

  var cardInput = $("card-code");
  function submitCard(code) {
    code = (code || "").trim();
    if (!code) { return; }
    checkIn({ card_code: code });
  }
  $("card-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var code = cardInput.value;
    cardInput.value = "";
    submitCard(code);
  });

  // A barcode reader is a keyboard: it types the code and Enter wherever the focus is. After a
  // tap the focus is on a button, so keys typed outside a text field go to the card field.
  document.addEventListener("keydown", function (event) {
    var active = document.activeElement;
    var typing = active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA" ||
                            active.tagName === "SELECT" || active.isContentEditable);
    if (typing || event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) { return; }
    event.preventDefault();
    cardInput.focus();
    cardInput.value += event.key;
  });

  // -- the camera: a card's QR code read with jsQR (loaded only when the camera is opened) ---------------
  var cameraStart = $("camera-start");
  var scanning = false, stream = null, lastScan = "", lastScanAt = 0;
  var canvas = document.createElement("canvas");

  function loadJsQR() {
    if (window.jsQR) { return Promise.resolve(); }
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.getAttribute("data-jsqr-url");
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function scan() {
    if (!scanning) { return; }
    var video = $("camera-video");
    if (video.readyState >= 2 && video.videoWidth) {
      var scale = Math.min(1, 640 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      var code = found && found.data ? found.data.trim() : "";
      // The same card held in front of the camera is read many times a second: once is enough.
      if (code && (code !== lastScan || Date.now() - lastScanAt > 5000)) {
        lastScan = code;
        lastScanAt = Date.now();
        submitCard(code);
      }
    }
    setTimeout(scan, 250);
  }

  function stopCamera() {
    scanning = false;
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    $("camera").hidden = true;
    cameraStart.hidden = false;
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    cameraStart.hidden = false;
    cameraStart.addEventListener("click", function () {
      loadJsQR().then(function () {
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      }).then(function (media) {
        stream = media;
        var video = $("camera-video");
        video.srcObject = media;
        $("camera").hidden = false;
        cameraStart.hidden = true;
        return video.play();
      }).then(function () {
        scanning = true;
        scan();
      }).catch(function () {
        stopCamera();
        say("error", T("desk.no_camera"), { code: "no_camera" });
      });
    });
    $("camera-stop").addEventListener("click", stopCamera);
  }

  // -- the room: presence as everyone else sees it ------------------------------------------------------
  function status(text) { $("conn-status").textContent = text; }

  if (typeof io !== "undefined") {
    var socket = io("/live", { transports: ["websocket"], query: { lang: document.documentElement.lang } });
    socket.on("connect", function () {
      status(T("conn.connected"));
      socket.timeout(10000).emit("join", { meeting_id: meetingId }, function (err, ack) {
        if (err || !ack || !ack.ok) { status(T("conn.join_failed")); return; }
        // Whatever changed while the connection was away: read the roster's presence again.
        loadRoster();
      });
    });
    socket.on("disconnect", function () { status(T("conn.lost")); });
    socket.on("presence_changed", function (data) {
      if (data.meeting_id !== meetingId) { return; }
      if (data.quorum && data.quorum.text_i18n) {   // the room's texts in every language: keep ours
        data.quorum.text = data.quorum.text_i18n[document.documentElement.lang] || data.quorum.text;
      }
      if (data.present) {
        present = data.present;
      } else if (data.changes) {
        Object.keys(data.changes).forEach(function (id) {
          if (data.changes[id]) { present[id] = data.changes[id]; } else { delete present[id]; }
        });
      }
      quorum = data.quorum;
      render();
    });
  }
  loadRoster();
}());
