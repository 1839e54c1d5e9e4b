// The script page's live-log panel: reads the script's log entries over SSE
// (scripts_app.live_logs) and shows those of the levels ticked.
(function () {
  "use strict";
  var panel = document.getElementById("live_logs");
  if (!panel || !window.EventSource) return;
  var lines = document.getElementById("live_logs_lines");
  var state = document.getElementById("live_logs_state");
  var MAX_LINES = 500;

  function shown() {
    var levels = {};
    panel.querySelectorAll("input.live-level").forEach(function (box) {
      levels[box.value] = box.checked;
    });
    return levels;
  }

  function filter() {
    var levels = shown();
    lines.querySelectorAll("tr").forEach(function (row) {
      row.hidden = !levels[row.dataset.level];
    });
  }

  function cell(text, className) {
    var td = document.createElement("td");
    td.className = className;
    td.textContent = text;
    return td;
  }

  function add(entry) {
    var row = document.createElement("tr");
    row.dataset.level = entry.level;
    row.className = "live-line level-" + entry.level.toLowerCase();
    var fields = entry.fields && Object.keys(entry.fields).length
      ? " " + JSON.stringify(entry.fields) : "";
    row.appendChild(cell((entry.time || "").replace("T", " ").slice(0, 23), "live-time"));
    row.appendChild(cell(entry.level, "live-level-name"));
    row.appendChild(cell(entry.message + fields, "live-message"));
    row.hidden = !shown()[entry.level];
    lines.appendChild(row);
    while (lines.rows.length > MAX_LINES) lines.deleteRow(0);
  }

  var source;
  function connect() {
    source = new EventSource(panel.dataset.url);
    source.onopen = opened;
    source.onerror = failed;
    source.onmessage = received;
  }
  // Opened after the page's load event: a pending stream would hold it back.
  if (document.readyState === "complete") connect();
  else window.addEventListener("load", function () { setTimeout(connect, 0); });

  function opened() {
    // Every (re)connection starts with the newest stored entries again.
    lines.textContent = "";
    state.textContent = "live";
    panel.dataset.state = "live";
  }
  function failed() {
    state.textContent = "reconnecting\u2026";
    panel.dataset.state = "reconnecting";
  }
  function received(event) {
    try {
      add(JSON.parse(event.data));
    } catch (err) {
      // not an entry: ignore it
    }
  }
  panel.querySelectorAll("input.live-level").forEach(function (box) {
    box.addEventListener("change", filter);
  });
  document.getElementById("live_logs_clear").addEventListener("click", function () {
    lines.textContent = "";
  });
})();
