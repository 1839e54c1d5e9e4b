// The core app's script API: convert.markdown_to_html and the console's log
// reading calls, each a synchronous host call (R6).
//
// convert.markdown_to_html(markdown): Markdown to HTML, done by the host
// (scripts_app/conversions.py), returning the HTML. As the seed documents,
// problems come back as a string starting with "Error:".
//
// console.listLogs(), console.listLogsForUri(uri), console.pruneLogs(): the
// tenant's stored log entries (scripts_app/log_reading.py), as the
// aiwebengine seed documents them: JSON strings of [{message, level,
// timestamp}], and pruneLogs' report.
(function (g, api) {
  "use strict";

  // Characters never outnumber UTF-8 bytes: longer is certainly too large, and
  // is refused here without shipping it to the host. The host counts bytes.
  const MAX_CHARS = 1024 * 1024;

  api.define("convert", Object.freeze({
    markdown_to_html(markdown) {
      if (typeof markdown !== "string") {
        return "Error: markdown_to_html expects a string, got " + (markdown === null ? "null" : typeof markdown);
      }
      if (markdown.length > MAX_CHARS) {
        return "Error: markdown is larger than 1 MB";
      }
      return api.call("convert.markdown", [markdown]);
    },
  }));

  api.contribute("console", {
    listLogs() {
      return api.call("logs.list", []);
    },
    listLogsForUri(uri) {
      if (typeof uri !== "string") {
        throw new TypeError("console.listLogsForUri expects a script uri (a string)");
      }
      return api.call("logs.list", [uri]);
    },
    pruneLogs() {
      return api.call("logs.prune", []);
    },
  });
})
