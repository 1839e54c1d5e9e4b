// atob and btoa: Base64 of "binary strings" (one character per byte), as the
// HTML spec's forgiving-base64 defines them, with its InvalidCharacterError.
(function (g, api) {
  "use strict";

  const DOMException = g.DOMException; // from 10_web.js
  const fromCharCode = String.fromCharCode;
  const apply = Reflect.apply;
  const CHUNK = 8192; // codes per String.fromCharCode call

  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let sextets = null; // char code -> value, built on first use

  function needArgument(name, args) {
    if (args.length === 0) {
      throw new TypeError("Failed to execute '" + name + "': 1 argument required, but only 0 present.");
    }
  }

  function btoa(data) {
    needArgument("btoa", arguments);
    const s = String(data);
    let out = "";
    for (let i = 0; i < s.length; i += 3) {
      const a = s.charCodeAt(i);
      const b = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      const c = i + 2 < s.length ? s.charCodeAt(i + 2) : 0;
      if (a > 0xff || b > 0xff || c > 0xff) {
        throw new DOMException(
          "Failed to execute 'btoa': The string to be encoded contains characters outside of the Latin1 range.",
          "InvalidCharacterError");
      }
      const n = (a << 16) | (b << 8) | c;
      out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] +
        (i + 1 < s.length ? ALPHABET[(n >> 6) & 63] : "=") +
        (i + 2 < s.length ? ALPHABET[n & 63] : "=");
    }
    return out;
  }

  function atob(data) {
    needArgument("atob", arguments);
    if (sextets === null) {
      sextets = new Int16Array(128).fill(-1);
      for (let i = 0; i < 64; i++) sextets[ALPHABET.charCodeAt(i)] = i;
    }
    let s = String(data).replace(/[\t\n\f\r ]+/g, "");
    if (s.length % 4 === 0) s = s.replace(/==?$/, "");
    const invalid = () => new DOMException(
      "Failed to execute 'atob': The string to be decoded is not correctly encoded.",
      "InvalidCharacterError");
    if (s.length % 4 === 1) throw invalid();
    const codes = [];
    const parts = [];
    let buffer = 0;
    let bits = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const v = c < 128 ? sextets[c] : -1;
      if (v < 0) throw invalid();
      buffer = ((buffer << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        codes[codes.length] = (buffer >> bits) & 0xff;
        if (codes.length === CHUNK) {
          parts[parts.length] = apply(fromCharCode, null, codes);
          codes.length = 0;
        }
      }
    }
    parts[parts.length] = apply(fromCharCode, null, codes);
    return parts.join("");
  }

  api.define("atob", atob);
  api.define("btoa", btoa);
})
