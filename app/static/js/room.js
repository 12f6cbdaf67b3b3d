// The live room, the projector: one state from `join`, kept in step by the facts of /live.
(function () {
  "use strict";
  var T = window.yishiText;   // the page's words (app/core/script_texts.py)
  var root = document.getElementById("room");
  if (!root || typeof io === "undefined") { return; }
  var meetingId = parseInt(root.getAttribute("data-meeting-id"), 10);
  var view = root.getAttribute("data-view");
  var state = null;
  var clockOffset = 0;   // server time minus local time, in ms
  var socket = io("/live", { transports: ["websocket"], query: { lang: document.documentElement.lang } });

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
      if (err) { error(T("conn.timeout")); return; }
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
  var STATE_LABELS = {};
  ["draft", "announced", "live", "ended", "minutes_signed", "cancelled"].forEach(function (s) {
    STATE_LABELS[s] = T("state." + s);
  });

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
    var cancelled = $("cancelled");
    if (cancelled) {
      cancelled.hidden = state.meeting.state !== "cancelled";
      $("cancel-reason").textContent = state.meeting.cancel_reason || "";
    }
  }

  function renderAgenda() {
    var list = $("agenda");
    var current = state.agenda[state.current_item];
    $("current-item").textContent = current ? (state.current_item + 1) + ". " + current.title : T("agenda.empty");
    var description = $("current-item-description");
    if (description) { description.innerHTML = current ? current.description_html : ""; }  // cleaned by the server
    if (!list) { return; }
    clear(list);
    state.agenda.forEach(function (item) {
      var li = el("li", item.title);
      // Only items in the notice, as items for a vote, can be voted on (the server refuses the rest).
      li.setAttribute("data-votable", item.votable ? "true" : "false");
      if (!item.votable) { li.appendChild(el("span", item.late ? T("agenda.late") : T("agenda.discussion"), "badge")); }
      if (item.index === state.current_item) { li.setAttribute("aria-current", "step"); li.className = "current"; }
      if (state.me && state.me.can_chair && view === "room" && item.index !== state.current_item) {
        var go = el("button", T("agenda.go"), "link");
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
      meter.setAttribute("data-unit", q.unit || T("unit.persons"));
      meter.setAttribute("data-present", q.present);
      meter.setAttribute("data-members", q.members);
    }
    // On the household base the counts are households (户), as the vote counts them; the people
    // behind them are a second, smaller fact.
    var qt = $("quorum-text");
    qt.textContent = q.text + (q.base === "households" && q.persons
      ? T("quorum.households_persons", { persons: q.persons.present }) : "");
    qt.setAttribute("data-base", q.base || "persons");
    var big = $("quorum-count");   // the projector's figures, in the body's unit (户 on the household base)
    if (big) {
      big.textContent = q.present + " / " + q.members + " " + (q.unit || T("unit.persons"));
      big.setAttribute("data-met", q.met ? "1" : "0");
    }
    var present = $("present"), absent = $("absent");
    if (!present) { return; }
    clear(present); clear(absent);
    if (!state.roster_complete) {
      // A big meeting: a member's phone shows the counts; the names are on the officers' screens.
      var total = $("present-count");
      if (total) { total.textContent = T("presence.count", { present: q.present, members: q.members, unit: q.unit || T("unit.persons") }); }
      present.appendChild(el("li", T("presence.big_room"), "hint"));
      return;
    }
    var canRecord = state.me && state.me.can_record && ["announced", "live"].indexOf(state.meeting.state) >= 0;
    var count = 0;
    state.members.forEach(function (m) {
      var mode = state.present[String(m.user_id)];
      var li = el("li", m.is_voting ? m.name : T("member.non_voting", { name: m.name }));
      li.setAttribute("data-user-id", m.user_id);
      if (mode) {
        count++;
        li.appendChild(el("span", " " + (mode === "hall" ? T("presence.hall") : T("presence.online")), "badge " + (mode === "hall" ? "ok" : "")));
        present.appendChild(li);
      } else {
        if (canRecord) {
          var b = el("button", T("presence.check_in_for"), "link");
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
    if (pc) { pc.textContent = T("presence.count", { present: count, members: state.members.length, unit: T("unit.persons") }); }
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
      var li = el("li", T(s.source === "hall" ? "speaker.hall" : "speaker.online", { name: s.name }));
      if (me.can_chair && view === "room") {
        var b = el("button", T("speaker.give_floor"), "link");
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
    if (!current) { box.textContent = T("speaker.none"); box.className = "speaking"; return; }
    var left = remaining(current);
    box.textContent = T("speaker.speaking", { name: current.name, left: clock(left) });
    box.className = "speaking" + (left < 0 ? " over" : left <= 30 ? " soon" : "");
  }

  function chatItem(m) {
    var li = el("li");
    li.id = "chat-" + m.id;
    li.appendChild(el("strong", m.name + "："));
    if (m.is_hidden) {
      li.appendChild(el("em", m.hidden_reason || T("chat.hidden"), "hint"));
    } else {
      li.appendChild(el("span", m.text));
      if (state.me && state.me.can_chair && view === "room") {
        var b = el("button", T("chat.hide"), "link");
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

  // -- votes ----------------------------------------------------------------------------
  // A cast is kept in this device's storage (vote, choice, nonce) until the server acknowledges
  // it; after a network loss the same nonce is sent again, so it is counted once.
  var CHOICE_CLASS = { yes: "yes", no: "no", abstain: "abstain" };
  function store(key, value) {
    try {
      if (value === null) { localStorage.removeItem(key); } else { localStorage.setItem(key, JSON.stringify(value)); }
    } catch (e) { /* private mode: the receipt is still shown */ }
  }
  function stored(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function newNonce() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function voteById(id) {
    for (var i = 0; i < state.votes.length; i++) { if (state.votes[i].id === id) { return state.votes[i]; } }
    return null;
  }
  function putVote(vote) {
    for (var i = 0; i < state.votes.length; i++) {
      if (state.votes[i].id === vote.id) { vote.me = vote.me || state.votes[i].me; state.votes[i] = vote; return; }
    }
    state.votes.push(vote);
  }
  function choiceLabel(vote, canonical) {
    var choices = vote.options.choices;
    if (vote.options.type === "motion") {
      for (var i = 0; i < choices.length; i++) { if (choices[i].key === canonical) { return choices[i].label; } }
      return canonical;
    }
    if (!canonical) { return T("vote.blank"); }
    return canonical.split(",").map(function (k) { return choices[parseInt(k, 10)].label; }).join(T("list.and"));
  }

  function castVote(vote, choice) {
    var key = "yishi-cast-" + vote.id;
    var pending = stored(key) || { choice: choice, nonce: newNonce() };
    pending.choice = pending.choice === undefined ? choice : pending.choice;
    store(key, pending);
    var box = $("vote-current");
    if (box) { box.setAttribute("aria-busy", "true"); }
    socket.timeout(15000).emit("cast", { vote_id: vote.id, choice: pending.choice, nonce: pending.nonce },
      function (err, ack) {
        if (box) { box.removeAttribute("aria-busy"); }
        if (err) { error(T("vote.offline_cast")); return; }
        if (!ack.ok) {
          store(key, null);
          var taken = ack.error.code === "household_already_cast" && ack.error.details;
          if (taken) {
            // Beaten to it by another adult of the household: say who, and take the buttons away.
            vote.me = vote.me || {};
            vote.me.household_voted = { by: taken.cast_by_name, by_user_id: taken.cast_by };
            vote.me.can_cast = false;
            renderVotes();
          }
          error(ack.error.message);
          return;
        }
        error("");
        store(key, null);
        store("yishi-receipt-" + vote.id, { receipt: ack.receipt, choice: pending.choice });
        vote.me = vote.me || {};
        vote.me.voted = true;
        vote.me.can_cast = false;
        vote.me.receipt = ack.receipt;
        renderVotes();
      });
  }
  function resendPending() {
    (state.votes || []).forEach(function (vote) {
      if (vote.state === "open" && stored("yishi-cast-" + vote.id)) { castVote(vote); }
    });
  }

  function progressText(vote) {
    var p = vote.progress || { cast: 0, eligible: 0 };
    return T("vote.progress", { cast: p.cast, eligible: p.eligible, unit: vote.unit });
  }

  function renderOpenVote(box, vote) {
    var me = vote.me || {};
    var card = el("div", null, "vote-box");
    card.setAttribute("data-vote-id", vote.id);
    card.appendChild(el("h3", T("vote.title_kind", { title: vote.title, kind: vote.kind_label })));
    var meter = document.createElement("progress");
    meter.className = "vote-progress";
    meter.max = Math.max(vote.progress.eligible, 1);
    meter.value = vote.progress.cast;
    card.appendChild(meter);
    var count = el("p", progressText(vote), "vote-count");
    count.id = "vote-count-" + vote.id;
    card.appendChild(count);
    if (view === "room") {
      var saved = stored("yishi-receipt-" + vote.id);
      var receipt = me.receipt || (saved && saved.receipt);
      if (me.voted || receipt) {
        card.appendChild(el("p", saved ? T("vote.voted_for", { choice: choiceLabel(vote, optionsCanonical(vote, saved.choice)) }) : T("vote.voted"), "passed"));
        if (receipt) {
          var r = el("p", T("vote.receipt") + " ");
          r.appendChild(el("span", receipt, "receipt"));
          r.id = "my-receipt";
          card.appendChild(r);
          card.appendChild(el("p", T("vote.keep_receipt"), "hint"));
        }
      } else if (me.household_voted) {
        var hv = el("p", T("vote.household_voted", { name: me.household_voted.by }), "passed");
        hv.setAttribute("data-household-voted", me.household_voted.by_user_id);
        card.appendChild(hv);
      } else if (me.can_cast) {
        card.appendChild(castControls(vote));
      } else if (me.where === "hall") {
        card.appendChild(el("p", T("vote.in_hall"), "hint"));
      } else if (me.eligible) {
        card.appendChild(el("p", T("vote.not_present"), "hint"));
      }
    }
    if (view === "room" && state.me.can_chair) {
      var close = el("button", T("vote.close"), "danger");
      close.type = "button";
      close.id = "close-vote";
      close.addEventListener("click", function () {
        if (window.confirm(T("vote.confirm_close"))) { send("close_vote", { vote_id: vote.id }); }
      });
      card.appendChild(close);
    }
    box.appendChild(card);
  }

  function optionsCanonical(vote, choice) {
    if (vote.options.type === "motion" || typeof choice === "string") { return choice; }
    return (choice || []).slice().sort(function (a, b) { return a - b; }).join(",");
  }

  function addCheckboxes(parent, vote) {
    vote.options.choices.forEach(function (c) {
      var label = el("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.value = c.key;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + c.label));
      parent.appendChild(label);
    });
  }

  function castControls(vote) {
    var wrap = el("div", null, "vote-choices");
    if (vote.options.type === "motion") {
      vote.options.choices.forEach(function (c) {
        var b = el("button", c.label, CHOICE_CLASS[c.key]);
        b.type = "button";
        b.setAttribute("data-choice", c.key);
        b.addEventListener("click", function () {
          if (window.confirm(T("vote.confirm_choice", { choice: c.label }))) { castVote(vote, c.key); }
        });
        wrap.appendChild(b);
      });
      return wrap;
    }
    var form = el("form", null, "vote-form");
    form.appendChild(el("p", T("vote.up_to", { num: vote.options.up_to }), "hint"));
    addCheckboxes(form, vote);
    var submit = el("button", T("vote.submit"));
    submit.type = "submit";
    form.appendChild(submit);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var picked = Array.prototype.map.call(form.querySelectorAll("input:checked"),
        function (i) { return parseInt(i.value, 10); });
      if (picked.length > vote.options.up_to) { error(T("vote.too_many", { num: vote.options.up_to })); return; }
      if (window.confirm(T("vote.confirm_submit"))) { castVote(vote, picked); }
    });
    wrap.appendChild(form);
    return wrap;
  }

  function markEntered(row) {
    while (row.childNodes.length > 1) { row.removeChild(row.lastChild); }   // keep the name
    row.appendChild(el("span", T("vote.entered"), "badge ok"));
  }

  function renderHallEntry(vote) {
    var box = $("hall-entry");
    if (!box) { return; }
    clear(box);
    var me = state.me || {};
    box.hidden = !(vote && me.can_record && view === "room");
    if (box.hidden) { return; }
    box.appendChild(el("h3", T("vote.hall_entry")));
    if (vote.kind === "named") {
      var entered = {};
      (vote.hall_entered || []).forEach(function (id) { entered[id] = true; });
      var hall = state.members.filter(function (m) {
        return m.is_voting && state.present[String(m.user_id)] === "hall";
      });
      if (!hall.length) { box.appendChild(el("p", T("vote.no_hall_members"), "hint")); }
      hall.forEach(function (m) {
        var row = el("div", null, "hall-row");
        row.setAttribute("data-hall-row", m.user_id);
        row.appendChild(el("span", m.name, "name"));
        if (entered[m.user_id]) {
          markEntered(row);
        } else if (vote.options.type === "motion") {
          vote.options.choices.forEach(function (c) {
            var b = el("button", c.label, "secondary");
            b.type = "button";
            b.setAttribute("data-hall-user", m.user_id);
            b.setAttribute("data-choice", c.key);
            b.addEventListener("click", function () {
              var entries = {};
              entries[m.user_id] = c.key;
              send("enter_hall_votes", { vote_id: vote.id, entries: entries });
            });
            row.appendChild(b);
          });
        } else {
          addCheckboxes(row, vote);
          var save = el("button", T("vote.enter"), "secondary");
          save.type = "button";
          save.addEventListener("click", function () {
            var entries = {};
            entries[m.user_id] = Array.prototype.map.call(row.querySelectorAll("input:checked"),
              function (i) { return parseInt(i.value, 10); });
            send("enter_hall_votes", { vote_id: vote.id, entries: entries });
          });
          row.appendChild(save);
        }
        box.appendChild(row);
      });
      return;
    }
    // Secret: the counted paper ballots of the hall, entered as totals (a recount replaces them).
    var form = el("form", null, "vote-form");
    form.id = "hall-totals-form";
    form.appendChild(el("p", T("vote.hall_present", { present: vote.hall_present, unit: vote.unit }), "hint"));
    var grid = el("div", null, "totals-grid");
    var fields = vote.options.type === "motion"
      ? vote.options.choices.map(function (c) { return [c.key, c.label]; }).concat([["invalid", T("vote.invalid")]])
      : vote.options.choices.map(function (c) { return ["c" + c.key, c.label]; })
          .concat([["ballots", T("vote.ballots")], ["blank", T("vote.blank")], ["invalid", T("vote.invalid")]]);
    var previous = vote.hall_totals || {};
    fields.forEach(function (f) {
      var label = el("label", f[1]);
      var input = document.createElement("input");
      input.type = "number";
      input.min = "0";
      input.name = f[0];
      input.required = true;
      var before = f[0].charAt(0) === "c" && previous.counts ? previous.counts[parseInt(f[0].slice(1), 10)] : previous[f[0]];
      input.value = before === undefined ? "0" : before;
      label.appendChild(input);
      grid.appendChild(label);
    });
    form.appendChild(grid);
    var submit = el("button", vote.hall_totals ? T("vote.reenter_totals") : T("vote.enter_totals"));
    submit.type = "submit";
    form.appendChild(submit);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var totals = {};
      var values = {};
      Array.prototype.forEach.call(form.querySelectorAll("input"), function (i) { values[i.name] = parseInt(i.value || "0", 10); });
      if (vote.options.type === "motion") {
        totals = values;
      } else {
        totals = { counts: vote.options.choices.map(function (c) { return values["c" + c.key]; }),
                   ballots: values.ballots, blank: values.blank, invalid: values.invalid };
      }
      send("enter_hall_votes", { vote_id: vote.id, totals: totals });
    });
    box.appendChild(form);
  }

  function resultItem(vote) {
    var li = el("li");
    li.setAttribute("data-vote-id", vote.id);
    var r = vote.result || {};
    var verdict = r.passed === true ? T("vote.passed") : r.passed === false ? T("vote.failed") : "";
    var heading = T("vote.title_kind", { title: vote.title, kind: vote.kind_label });
    var head = el("strong", verdict ? T("vote.verdict", { heading: heading, verdict: verdict }) : heading);
    head.className = r.passed === true ? "passed" : r.passed === false ? "failed" : "";
    li.appendChild(head);
    var counts = el("p", (r.counts || []).map(function (c) { return T("vote.count", { label: c.label, count: c.count }); }).join(T("list.separator")));
    li.appendChild(counts);
    // A void vote (restored under another secret key) has no result: its state says why in words.
    li.appendChild(el("p", r.text || (vote.state === "void" ? vote.state_label : ""), "vote-result-text"));
    if (view === "room" && vote.state !== "void") {
      var a = el("a", T("vote.receipts_link"));
      a.href = vote.receipts_url;
      li.appendChild(a);
    }
    return li;
  }

  function renderVotes() {
    var box = $("vote-current");
    if (!box || !state) { return; }
    clear(box);
    var open = state.votes.filter(function (v) { return v.state === "open"; })[0];
    if (open) {
      renderOpenVote(box, open);
    } else {
      box.appendChild(el("p", T("vote.none_open"), "hint"));
    }
    renderHallEntry(open);
    var form = $("open-vote-form");
    if (form) { form.hidden = !(view === "room" && state.me.can_chair && state.meeting.state === "live" && !open); }
    var list = $("vote-results");
    clear(list);
    var closed = state.votes.filter(function (v) { return v.state === "closed"; });
    if (view === "projector") { closed = open ? [] : closed.slice(-1); }   // one screen: the vote that matters now
    closed.reverse().forEach(function (v) { list.appendChild(resultItem(v)); });
    var heading = $("vote-results-h");
    if (heading) { heading.hidden = !closed.length; }
  }

  var openForm = $("open-vote-form");
  if (openForm) {
    openForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var labels = $("vote-labels").value.split("\n").map(function (x) { return x.trim(); })
        .filter(function (x) { return x; });
      var kind = openForm.querySelector("input[name=kind]:checked").value;
      send("open_vote", { title: $("vote-title").value, kind: kind, labels: labels.length ? labels : null,
                          up_to: parseInt($("vote-up-to").value || "1", 10), auto_close: $("vote-auto-close").checked });
    });
  }

  function render() {
    renderMeeting();
    renderAgenda();
    renderPresence();
    renderSpeakers();
    renderChat();
    renderVotes();
    root.setAttribute("data-ready", "1");
  }

  // -- the connection, said on the screen ------------------------------------------------
  // A banner at the top of the room and the projector: offline while the connection is lost,
  // "back" for a few seconds once the state has been fetched again.
  var banner = el("p", null, "conn-banner");
  banner.id = "conn-banner";
  banner.setAttribute("role", "status");
  banner.hidden = true;
  root.insertBefore(banner, root.firstChild);
  var offline = false, bannerTimer = null;
  function connection(kind, message) {
    clearTimeout(bannerTimer);
    clear(banner);
    root.setAttribute("data-conn", kind);
    banner.className = "conn-banner " + kind;
    if (kind === "offline") {
      offline = true;
      banner.textContent = T("conn.offline");
    } else if (kind === "refused") {
      banner.textContent = message + " ";
      var login = el("a", T("conn.sign_in"));
      login.href = "/auth/login?next=" + encodeURIComponent(location.pathname);
      banner.appendChild(login);
    } else if (kind === "online" && offline) {
      offline = false;
      banner.textContent = T("conn.back");
      bannerTimer = setTimeout(function () { banner.hidden = true; }, 4000);
    } else {
      banner.hidden = true;
      return;
    }
    banner.hidden = false;
  }
  window.addEventListener("offline", function () { connection("offline"); });
  // Back on the network with the socket still up (it may not have noticed): fetch the state.
  window.addEventListener("online", function () { if (socket.connected) { join(); } });

  // -- room versions (the protocol is in app/live.py) ---------------------------
  // `last`: the highest version applied with none missing before it. A fact above last + 1
  // waits for the ones before it; if they do not come within GAP_WAIT ms the state is fetched
  // again. Progress facts carry the version without raising it. `sync` catches a lost last fact.
  var KEEPS_VERSION = { vote_progress: true, hall_entered: true };
  var GAP_WAIT = 1500, SYNC_EVERY = 15000;
  var last = null, joining = false, waiting = [], gapTimer = null;

  // A fact told to the whole room carries each text for people in every language, as `x` (the
  // default) and `x_i18n` ({"en": ..., "zh-Hans": ...}): keep this page's language as `x`.
  var LANG = document.documentElement.lang;
  function inPageLanguage(data) {
    if (Array.isArray(data)) { data.forEach(inPageLanguage); return data; }
    if (!data || typeof data !== "object") { return data; }
    Object.keys(data).forEach(function (key) {
      var m = /^(.*)_i18n$/.exec(key);
      if (m && data[key] && typeof data[key] === "object") {
        if (data[key][LANG] !== undefined) { data[m[1]] = data[key][LANG]; }
        delete data[key];
      } else {
        inPageLanguage(data[key]);
      }
    });
    return data;
  }
  function fact(name, apply) {
    socket.on(name, function (data) {
      inPageLanguage(data);
      if (!data || typeof data.version !== "number") { if (state) { apply(data); } return; }
      var keeps = !!KEEPS_VERSION[name];
      waiting.push({ version: data.version, keeps: keeps, run: function () { apply(data); } });
      // Stable: at one version the fact that raised it comes before those that only carry it.
      waiting.sort(function (a, b) { return a.version - b.version || (a.keeps ? 1 : 0) - (b.keeps ? 1 : 0); });
      drain();
    });
  }
  function drain() {
    if (last === null || joining) { return; }   // the join's ack drains what came meanwhile
    while (waiting.length) {
      var f = waiting[0];
      if (f.version > (f.keeps ? last : last + 1)) { break; }
      waiting.shift();
      if (!f.keeps && f.version <= last) { continue; }   // already in the state
      if (!f.keeps) { last = f.version; }
      f.run();
    }
    root.setAttribute("data-version", String(last));
    if (waiting.length > 200) { join(); return; }
    if (waiting.length && !gapTimer) {
      gapTimer = setTimeout(function () {
        gapTimer = null;
        if (waiting.length && socket.connected) { join(); }
      }, GAP_WAIT);
    }
  }
  function sync() {
    if (!socket.connected || last === null || joining) { return; }
    socket.timeout(10000).emit("sync", { meeting_id: meetingId }, function (err, ack) {
      if (err || joining) { return; }   // a lost connection says so by itself
      if (!ack.ok || ack.version > last) { join(); }
    });
  }
  setInterval(sync, SYNC_EVERY + Math.random() * 3000);   // phones spread, not all at once

  // -- connection and facts -----------------------------------------------------------
  function join() {
    joining = true;
    socket.emit("join", { meeting_id: meetingId }, function (ack) {
      joining = false;
      if (ack && !ack.ok && ack.error.code === "unavailable") {
        // The server is busy (say, a whole room reconnecting at once): try again shortly, each
        // phone after its own pause so that they do not all come back together.
        status(T("conn.busy"));
        setTimeout(function () { if (socket.connected) { join(); } }, 2000 + Math.random() * 4000);
        return;
      }
      if (!ack || !ack.ok) { error(ack ? ack.error.message : T("conn.cannot_join")); return; }
      status(T("conn.connected"));
      connection("online");
      state = ack.state;
      last = state.version;
      clearTimeout(gapTimer);
      gapTimer = null;
      clockOffset = Date.parse(state.server_time) - Date.now();
      render();
      drain();
      resendPending();
    });
  }
  socket.on("connect", function () {
    status(T("conn.connected"));
    join();
  });
  // A phone that slept, or a connection that survived a server-side outage, may have missed
  // facts: coming back to the page takes the whole state again.
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && socket.connected) { join(); }
  });
  socket.on("disconnect", function () {
    status(T("conn.lost"));
    connection("offline");
  });
  socket.on("connect_error", function (err) {
    var code = err && err.data && err.data.code;
    if (code === "not_authenticated") {
      status(T("conn.signed_out"));
      connection("refused", err.data.message);
      return;
    }
    status(T("conn.retrying"));
    if (state) { connection("offline"); }
    // Socket.IO retries a lost connection by itself, but not one the server refused: a refusal
    // because the database was busy or away is worth another try.
    if (!socket.active && code === "unavailable") {
      setTimeout(function () { socket.connect(); }, 2000 + Math.random() * 4000);
    }
  });

  fact("state", function (data) {
    if (!state) { return; }
    state.meeting.state = data.state;
    ["reason", "title", "place", "start_dt"].forEach(function (key) {
      if (key in data) { state.meeting[key === "reason" ? "cancel_reason" : key] = data[key]; }
    });
    renderMeeting();
    renderPresence();
    renderSpeakers();
  });
  fact("item_changed", function (data) {
    if (!state) { return; }
    state.current_item = data.index;
    renderAgenda();
  });
  fact("presence_changed", function (data) {
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
  fact("speakers_changed", function (data) {
    if (!state) { return; }
    state.speakers = data.speakers;
    renderSpeakers();
  });
  fact("chat_posted", function (data) {
    if (!state) { return; }
    var m = data.message;
    var i;
    for (i = 0; i < state.chat.length; i++) { if (state.chat[i].id === m.id) { break; } }
    state.chat[i] = m;
    renderChat();
  });
  fact("vote_opened", function (data) {
    if (!state) { return; }
    // The broadcast is the same for everyone: what this member may do follows from their own
    // attendance as the vote opened (the server checks it again on every cast).
    var vote = data.vote;
    var mine = state.members.filter(function (m) { return m.user_id === state.me.user_id; })[0];
    var where = state.present[String(state.me.user_id)] || null;
    vote.me = { eligible: !!(mine && mine.is_voting), where: where, voted: false,
                can_cast: !!(mine && mine.is_voting) && where === "online", receipt: null };
    putVote(vote);
    renderVotes();
  });
  fact("vote_progress", function (data) {
    if (!state) { return; }
    var vote = voteById(data.vote_id);
    if (!vote || vote.state !== "open") { return; }
    vote.progress = data;
    var count = $("vote-count-" + vote.id);
    var meter = count && count.previousSibling;
    if (count) { count.textContent = progressText(vote); }
    if (meter && meter.tagName === "PROGRESS") { meter.max = Math.max(data.eligible, 1); meter.value = data.cast; }
  });
  // Officers only, in a named vote: who of the hall has been entered (by this screen or another).
  // Entries are never taken back while the vote is open, so the list only grows: rows are ticked
  // off in place, and what is being ticked on the other rows stays as it is.
  fact("hall_entered", function (data) {
    if (!state) { return; }
    var vote = voteById(data.vote_id);
    if (!vote || vote.state !== "open") { return; }
    var known = {};
    (vote.hall_entered || []).forEach(function (id) { known[id] = true; });
    data.hall_entered.forEach(function (id) {
      if (known[id]) { return; }
      known[id] = true;
      var row = root.querySelector("#hall-entry [data-hall-row='" + id + "']");
      if (row) { markEntered(row); }
    });
    vote.hall_entered = Object.keys(known).map(function (id) { return parseInt(id, 10); });
  });
  // Only this member's sockets hear it, outside the room's versions (never a gap): another adult of the household has cast its one vote.
  socket.on("household_voted", function (data) {
    if (!state) { return; }
    var vote = voteById(data.vote_id);
    if (!vote || vote.state !== "open") { return; }
    vote.me = vote.me || {};
    vote.me.household_voted = { by: data.by, by_user_id: data.by_user_id };
    vote.me.can_cast = false;
    store("yishi-cast-" + vote.id, null);
    renderVotes();
  });
  fact("vote_closed", function (data) {
    if (!state) { return; }
    var vote = voteById(data.vote_id);
    if (!vote) { return; }
    vote.state = "closed";
    vote.result = data.result;
    vote.chain_head = data.result.chain_head;
    store("yishi-cast-" + vote.id, null);
    renderVotes();
  });
  fact("meeting_ended", function (data) {
    if (!state) { return; }
    state.meeting.state = data.state;
    state.speakers = [];
    render();
    var s = $("meeting-state");
    if (s && data.minutes_url && view === "room") {
      var a = el("a", " " + T("minutes.link"));
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
