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
// timestamp}], and pruneLogs' report. listLogs() and listLogsForUri(uri): the
// messages of the calling script or of `uri`, as an array of strings (the
// reference implementation's first API).
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

  // The reference implementation's first log reader (Oct 2025, beside the
  // prelude's writeLog): the calling script's own messages, newest first, as
  // an array of strings rather than a JSON string.
  function messagesOf(uri) {
    return JSON.parse(api.call("logs.list", [uri])).map((entry) => entry.message);
  }

  api.define("listLogs", function listLogs() {
    const context = api.context();
    const script = context && context.script;
    if (!script || typeof script.id !== "string") {
      throw new Error("listLogs can only be called while handling a call");
    }
    return messagesOf(script.id);
  });
  api.define("listLogsForUri", function listLogsForUri(uri) {
    if (typeof uri !== "string") throw new TypeError("listLogsForUri expects a script uri (a string)");
    return messagesOf(uri);
  });

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
