// convert.markdown_to_html(markdown): Markdown to HTML, done by the host
// (scripts_app/conversions.py) in a synchronous host call that returns the HTML
// (R6). As the seed documents, problems come back as a string starting with
// "Error:".
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
})
