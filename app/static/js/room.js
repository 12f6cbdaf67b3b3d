// The live room, the projector: one state from `join`, kept in step by the facts of /live.
(function () {
  "use strict";
  var root = document.getElementById("room");
  if (!root || typeof io === "undefined") { return; }
  var meetingId = parseInt(root.getAttribute("data-meeting-id"), 10);
  var view = root.getAttribute("data-view");
  var state = null;
  var clockOffset = 0;   // server time minus local time, in ms
  var socket = io("/live", { transports: ["websocket"] });

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function clear(node) { while (node && node.firstChild) { node.removeChild(node.firstChild); } }
  function showAll(selector, on) {
    var nodes = root.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) { nodes[i].hidden = !on; }
  }
  function status(text) { var s = $("conn-status"); if (s) { s.textContent = text; } }
  function error(message) {
    var box = $("room-error");
    if (!box) { return; }
    box.textContent = message || "";
    box.hidden = !message;
  }
  function names() {
    var map = {};
    (state.members || []).forEach(function (m) { map[m.user_id] = m.name; });
    return map;
  }

  // -- commands ------------------------------------------------------------------
  function send(command, payload) {
    payload = payload || {};
    payload.meeting_id = meetingId;
    socket.timeout(10000).emit(command, payload, function (err, ack) {
      if (err) { error("网络超时，请重试。"); return; }
      if (!ack.ok) { error(ack.error.message); return; }
      error("");
    });
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-command]");
    if (!button || event.defaultPrevented) { return; }
    var command = button.getAttribute("data-command");
    if (command === "prev_item") {
      send("next_item", { index: Math.max(state.current_item - 1, 0) });
    } else if (command === "give_floor" && button.getAttribute("data-speaker-id")) {
      send("give_floor", { speaker_id: parseInt(button.getAttribute("data-speaker-id"), 10) });
    } else if (command === "check_in") {
      send("check_in", { user_id: parseInt(button.getAttribute("data-user-id"), 10) });
    } else if (command === "hide_chat") {
      send("hide_chat", { message_id: parseInt(button.getAttribute("data-message-id"), 10) });
    } else if (command === "add_speaker") {
      var select = $("add-speaker-user");
      if (select && select.value) { send("add_speaker", { user_id: parseInt(select.value, 10) }); }
    } else {
      send(command);
    }
  });

  var chatForm = $("chat-form");
  if (chatForm) {
    chatForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("chat-text");
      if (!input.value.trim()) { return; }
      send("chat", { text: input.value });
      input.value = "";
    });
  }

  // -- rendering -------------------------------------------------------------------
  var STATE_LABELS = { draft: "草稿", announced: "已通知", live: "进行中", ended: "已结束",
                       minutes_signed: "纪要已签署", cancelled: "已取消" };

  function renderMeeting() {
    var s = $("meeting-state");
    if (s) { s.textContent = STATE_LABELS[state.meeting.state] || state.meeting.state; }
    var me = state.me || {};
    var live = state.meeting.state === "live";
    showAll(".chair-only", view === "room" && me.can_chair);
    showAll(".member-only", view === "room" && me.can_speak && live);
    if (chatForm) { chatForm.hidden = !(me.can_chat && (live || state.meeting.state === "announced")); }
    var start = $("start-meeting");
    if (start) { start.hidden = state.meeting.state !== "announced"; }
    var end = $("end-meeting");
    if (end) { end.hidden = !live; }
  }

  function renderAgenda() {
    var list = $("agenda");
    var current = state.agenda[state.current_item];
    $("current-item").textContent = current ? (state.current_item + 1) + ". " + current.title : "（议程为空）";
    var description = $("current-item-description");
    if (description) { description.innerHTML = current ? current.description_html : ""; }  // cleaned by the server
    if (!list) { return; }
    clear(list);
    state.agenda.forEach(function (item) {
      var li = el("li", item.title);
      if (item.index === state.current_item) { li.setAttribute("aria-current", "step"); li.className = "current"; }
      if (state.me && state.me.can_chair && view === "room" && item.index !== state.current_item) {
        var go = el("button", "转到", "link");
        go.type = "button";
        go.addEventListener("click", function () { send("next_item", { index: item.index }); });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(go);
      }
      list.appendChild(li);
    });
  }

  function renderPresence() {
    var q = state.quorum;
    var meter = $("quorum-meter");
    if (meter) {
      meter.max = Math.max(q.members, 1);
      meter.value = q.present;
      meter.low = Math.max((q.minimum || 1) - 0.5, 0);
      meter.high = q.minimum || 1;
      meter.optimum = q.members;
    }
    $("quorum-text").textContent = q.text;
    var present = $("present"), absent = $("absent");
    if (!present) { return; }
    clear(present); clear(absent);
    var canRecord = state.me && state.me.can_record && ["announced", "live"].indexOf(state.meeting.state) >= 0;
    var count = 0;
    state.members.forEach(function (m) {
      var mode = state.present[String(m.user_id)];
      var li = el("li", m.name + (m.is_voting ? "" : "（列席）"));
      li.setAttribute("data-user-id", m.user_id);
      if (mode) {
        count++;
        li.appendChild(el("span", mode === "hall" ? " 现场" : " 线上", "badge " + (mode === "hall" ? "ok" : "")));
        present.appendChild(li);
      } else {
        if (canRecord) {
          var b = el("button", "代为签到", "link");
          b.type = "button";
          b.setAttribute("data-command", "check_in");
          b.setAttribute("data-user-id", m.user_id);
          li.appendChild(document.createTextNode(" "));
          li.appendChild(b);
        }
        absent.appendChild(li);
      }
    });
    var pc = $("present-count");
    if (pc) { pc.textContent = "（" + count + " / " + state.members.length + "）"; }
    renderSpeakerChoices();
  }

  function renderSpeakerChoices() {
    var select = $("add-speaker-user");
    if (!select) { return; }
    var chosen = select.value;
    clear(select);
    state.members.forEach(function (m) {
      var option = el("option", m.name);
      option.value = m.user_id;
      select.appendChild(option);
    });
    select.value = chosen;
  }

  function remaining(s) {
    if (!s.started_dt) { return s.limit_seconds; }
    var started = Date.parse(s.started_dt);
    return Math.round(s.limit_seconds - (Date.now() + clockOffset - started) / 1000);
  }
  function clock(seconds) {
    var sign = seconds < 0 ? "-" : "";
    seconds = Math.abs(seconds);
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return sign + m + ":" + (s < 10 ? "0" : "") + s;
  }

  function renderSpeakers() {
    var list = $("speakers");
    clear(list);
    var me = state.me || {};
    var mine = false;
    state.speakers.forEach(function (s) {
      if (s.user_id === me.user_id) { mine = true; }
      if (s.state === "speaking") { return; }
      var li = el("li", s.name + (s.source === "hall" ? "（现场）" : "（线上）"));
      if (me.can_chair && view === "room") {
        var b = el("button", "请发言", "link");
        b.type = "button";
        b.setAttribute("data-command", "give_floor");
        b.setAttribute("data-speaker-id", s.id);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(b);
      }
      list.appendChild(li);
    });
    var raise = $("raise-hand"), lower = $("lower-hand");
    if (raise) { raise.hidden = mine; }
    if (lower) {
      lower.hidden = !state.speakers.some(function (s) { return s.user_id === me.user_id && s.state === "waiting"; });
    }
    tick();
  }

  function tick() {
    if (!state) { return; }
    var box = $("speaking");
    var current = state.speakers.filter(function (s) { return s.state === "speaking"; })[0];
    if (!current) { box.textContent = "当前无人发言"; box.className = "speaking"; return; }
    var left = remaining(current);
    box.textContent = current.name + " 正在发言 · 剩余 " + clock(left);
    box.className = "speaking" + (left < 0 ? " over" : left <= 30 ? " soon" : "");
  }

  function chatItem(m) {
    var li = el("li");
    li.id = "chat-" + m.id;
    li.appendChild(el("strong", m.name + "："));
    if (m.is_hidden) {
      li.appendChild(el("em", m.hidden_reason || "此消息已被隐藏", "hint"));
    } else {
      li.appendChild(el("span", m.text));
      if (state.me && state.me.can_chair && view === "room") {
        var b = el("button", "隐藏", "link");
        b.type = "button";
        b.setAttribute("data-command", "hide_chat");
        b.setAttribute("data-message-id", m.id);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(b);
      }
    }
    return li;
  }

  function renderChat() {
    var list = $("chat");
    if (!list) { return; }
    clear(list);
    state.chat.forEach(function (m) { list.appendChild(chatItem(m)); });
    list.scrollTop = list.scrollHeight;
  }

  function render() {
    renderMeeting();
    renderAgenda();
    renderPresence();
    renderSpeakers();
    renderChat();
    root.setAttribute("data-ready", "1");
  }

  // -- connection and facts -----------------------------------------------------------
  socket.on("connect", function () {
    status("已连接");
    socket.emit("join", { meeting_id: meetingId }, function (ack) {
      if (!ack || !ack.ok) { error(ack ? ack.error.message : "无法进入会议室"); return; }
      state = ack.state;
      clockOffset = Date.parse(state.server_time) - Date.now();
      render();
    });
  });
  socket.on("disconnect", function () { status("连接已断开，正在重连…"); });
  socket.on("connect_error", function () { status("无法连接，正在重试…"); });

  socket.on("state", function (data) {
    if (!state) { return; }
    state.meeting.state = data.state;
    renderMeeting();
    renderPresence();
    renderSpeakers();
  });
  socket.on("item_changed", function (data) {
    if (!state) { return; }
    state.current_item = data.index;
    renderAgenda();
  });
  socket.on("presence_changed", function (data) {
    if (!state) { return; }
    if (data.present) {
      state.present = data.present;
    } else {
      // A big room hears only who changed.
      Object.keys(data.changes || {}).forEach(function (id) {
        if (data.changes[id]) { state.present[id] = data.changes[id]; } else { delete state.present[id]; }
      });
    }
    state.quorum = data.quorum;
    renderPresence();
  });
  socket.on("speakers_changed", function (data) {
    if (!state) { return; }
    state.speakers = data.speakers;
    renderSpeakers();
  });
  socket.on("chat_posted", function (data) {
    if (!state) { return; }
    var m = data.message;
    var i;
    for (i = 0; i < state.chat.length; i++) { if (state.chat[i].id === m.id) { break; } }
    state.chat[i] = m;
    renderChat();
  });
  socket.on("meeting_ended", function (data) {
    if (!state) { return; }
    state.meeting.state = data.state;
    state.speakers = [];
    render();
    var s = $("meeting-state");
    if (s && data.minutes_url && view === "room") {
      var a = el("a", " 查看会议纪要");
      a.href = data.minutes_url;
      s.parentNode.insertBefore(a, s.nextSibling);
    }
  });

  setInterval(tick, 500);

  // The hall's code rotates: the projector fetches a fresh one well before the old one expires.
  var qrUrl = root.getAttribute("data-qr-url");
  if (qrUrl) {
    setInterval(function () {
      fetch(qrUrl, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (svg) {
        if (!svg) { return; }
        var doc = new DOMParser().parseFromString(svg, "image/svg+xml");
        var box = $("qr");
        clear(box);
        box.appendChild(document.importNode(doc.documentElement, true));
      }).catch(function () {});
    }, 60000);
  }
})();
