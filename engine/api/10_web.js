// The web basics bare V8 lacks: DOMException, atob/btoa, TextEncoder/TextDecoder
// and URLSearchParams, as the WHATWG specs define them (utf-8 only). Pure JS, run
// in every context: keep the top level to definitions, work happens on use.
(function (g, api) {
  "use strict";

  const fromCharCode = String.fromCharCode;
  const apply = Reflect.apply;
  const isView = ArrayBuffer.isView;
  const Uint8 = g.Uint8Array; // the sandbox's guarded constructor: allocations are charged
  const TypedArrayProto = Object.getPrototypeOf(Uint8.prototype);
  const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
  const viewBuffer = getter(TypedArrayProto, "buffer");
  const viewOffset = getter(TypedArrayProto, "byteOffset");
  const viewLength = getter(TypedArrayProto, "byteLength");
  const dataViewBuffer = getter(DataView.prototype, "buffer");
  const dataViewOffset = getter(DataView.prototype, "byteOffset");
  const dataViewLength = getter(DataView.prototype, "byteLength");
  const bufferLengths = [getter(ArrayBuffer.prototype, "byteLength")];
  if (typeof SharedArrayBuffer === "function") {
    bufferLengths[1] = getter(SharedArrayBuffer.prototype, "byteLength");
  }
  const toWellFormed = String.prototype.toWellFormed;
  const encodeURIComponent_ = encodeURIComponent;
  const CHUNK = 8192; // code units per String.fromCharCode call

  // ---- DOMException --------------------------------------------------------------

  const CODES = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4,
    InvalidCharacterError: 5, NotFoundError: 8, NotSupportedError: 9,
    InvalidStateError: 11, SyntaxError: 12, InvalidModificationError: 13,
    NamespaceError: 14, InvalidAccessError: 15, TypeMismatchError: 17,
    SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
    QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24,
    DataCloneError: 25,
  };

  class DOMException extends Error {
    constructor(message, name) {
      super(message === undefined ? "" : String(message));
      const n = name === undefined ? "Error" : String(name);
      Object.defineProperty(this, "name", { value: n, writable: true, configurable: true });
      Object.defineProperty(this, "code", { value: CODES[n] || 0, configurable: true });
    }
  }

  // ---- bytes and UTF-8 ---------------------------------------------------------------

  // A Uint8Array over the bytes of a BufferSource, or null for anything else.
  function bytesOf(input) {
    if (isView(input)) {
      try {
        return new Uint8(apply(viewBuffer, input, []), apply(viewOffset, input, []),
          apply(viewLength, input, []));
      } catch (e) {
        return new Uint8(apply(dataViewBuffer, input, []), apply(dataViewOffset, input, []),
          apply(dataViewLength, input, []));
      }
    }
    for (let i = 0; i < bufferLengths.length; i++) {
      try {
        apply(bufferLengths[i], input, []);
        return new Uint8(input);
      } catch (e) {
        // not this kind of buffer
      }
    }
    return null;
  }

  function utf8Length(s) {
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length &&
        (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        n += 4;
        i++;
      } else n += 3; // lone surrogates become U+FFFD, three bytes
    }
    return n;
  }

  // Write s as UTF-8 into out (a Uint8Array) from index 0, at most out.length
  // bytes, never splitting a character; return [code units read, bytes written].
  function utf8Write(s, out) {
    const room = out.length;
    let w = 0;
    let i = 0;
    for (; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        if (w >= room) break;
        out[w++] = c;
        continue;
      }
      if (c < 0x800) {
        if (w + 2 > room) break;
        out[w++] = 0xc0 | (c >> 6);
        out[w++] = 0x80 | (c & 0x3f);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && (next & 0xfc00) === 0xdc00) {
          if (w + 4 > room) break;
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          out[w++] = 0xf0 | (cp >> 18);
          out[w++] = 0x80 | ((cp >> 12) & 0x3f);
          out[w++] = 0x80 | ((cp >> 6) & 0x3f);
          out[w++] = 0x80 | (cp & 0x3f);
          i++;
          continue;
        }
        c = 0xfffd;
      }
      if (w + 3 > room) break;
      out[w++] = 0xe0 | (c >> 12);
      out[w++] = 0x80 | ((c >> 6) & 0x3f);
      out[w++] = 0x80 | (c & 0x3f);
    }
    return [i, w];
  }

  function utf8Encode(s) {
    const out = new Uint8(utf8Length(s));
    utf8Write(s, out);
    return out;
  }

  // Collects UTF-16 code units and joins them in chunks (no huge argument lists).
  class Chars {
    constructor() {
      this.parts = [];
      this.units = [];
    }
    push(cp) {
      const units = this.units;
      if (cp > 0xffff) {
        cp -= 0x10000;
        units[units.length] = 0xd800 + (cp >> 10);
        units[units.length] = 0xdc00 + (cp & 0x3ff);
      } else {
        units[units.length] = cp;
      }
      if (units.length >= CHUNK) this.flush();
    }
    flush() {
      if (this.units.length) {
        this.parts[this.parts.length] = apply(fromCharCode, null, this.units);
        this.units = [];
      }
    }
    text() {
      this.flush();
      return this.parts.join("");
    }
  }

  // The WHATWG UTF-8 decoder; its state survives between calls when streaming.
  class Utf8Decoder {
    constructor(fatal) {
      this.fatal = fatal;
      this.reset();
    }
    reset() {
      this.needed = 0;
      this.seen = 0;
      this.cp = 0;
      this.lower = 0x80;
      this.upper = 0xbf;
    }
    error(out) {
      if (this.fatal) {
        this.reset();
        throw new TypeError("The encoded data was not valid for encoding utf-8");
      }
      out.push(0xfffd);
    }
    decode(bytes, out, end) {
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i];
        if (this.needed === 0) {
          if (b <= 0x7f) out.push(b);
          else if (b >= 0xc2 && b <= 0xdf) {
            this.needed = 1;
            this.cp = b & 0x1f;
          } else if (b >= 0xe0 && b <= 0xef) {
            if (b === 0xe0) this.lower = 0xa0;
            if (b === 0xed) this.upper = 0x9f;
            this.needed = 2;
            this.cp = b & 0xf;
          } else if (b >= 0xf0 && b <= 0xf4) {
            if (b === 0xf0) this.lower = 0x90;
            if (b === 0xf4) this.upper = 0x8f;
            this.needed = 3;
            this.cp = b & 0x7;
          } else this.error(out);
          continue;
        }
        if (b < this.lower || b > this.upper) {
          this.reset();
          this.error(out);
          i--; // the byte starts afresh
          continue;
        }
        this.lower = 0x80;
        this.upper = 0xbf;
        this.cp = (this.cp << 6) | (b & 0x3f);
        if (++this.seen === this.needed) {
          out.push(this.cp);
          this.reset();
        }
      }
      if (end && this.needed) {
        this.reset();
        this.error(out);
      }
    }
  }

  function utf8Decode(bytes) {
    const out = new Chars();
    new Utf8Decoder(false).decode(bytes, out, true);
    return out.text();
  }

  // ---- TextEncoder / TextDecoder ------------------------------------------------------

  class TextEncoder {
    get encoding() {
      return "utf-8";
    }
    encode(input) {
      return utf8Encode(input === undefined ? "" : String(input));
    }
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8)) {
        throw new TypeError("TextEncoder.encodeInto: destination must be a Uint8Array");
      }
      const [read, written] = utf8Write(String(source), destination);
      return { read: read, written: written };
    }
    get [Symbol.toStringTag]() {
      return "TextEncoder";
    }
  }

  const UTF8_LABELS = ["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"];

  class TextDecoder {
    #decoder;
    #ignoreBOM;
    #bomSeen = false;
    #streaming = false;
    constructor(label, options) {
      const name = label === undefined ? "utf-8" : String(label).trim().toLowerCase();
      if (UTF8_LABELS.indexOf(name) < 0) {
        throw new RangeError("TextDecoder: unsupported encoding '" + label + "' (only utf-8 is available)");
      }
      const o = options === undefined || options === null ? {} : options;
      this.#decoder = new Utf8Decoder(Boolean(o.fatal));
      this.#ignoreBOM = Boolean(o.ignoreBOM);
    }
    get encoding() {
      return "utf-8";
    }
    get fatal() {
      return this.#decoder.fatal;
    }
    get ignoreBOM() {
      return this.#ignoreBOM;
    }
    decode(input, options) {
      let bytes;
      if (input === undefined) bytes = new Uint8(0);
      else {
        bytes = bytesOf(input);
        if (bytes === null) {
          throw new TypeError("TextDecoder.decode: input must be an ArrayBuffer or a view of one");
        }
      }
      if (!this.#streaming) {
        this.#decoder.reset();
        this.#bomSeen = false;
      }
      this.#streaming = Boolean(options && options.stream);
      const out = new Chars();
      this.#decoder.decode(bytes, out, !this.#streaming);
      let text = out.text();
      if (!this.#ignoreBOM && !this.#bomSeen && text.length) {
        this.#bomSeen = true;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      return text;
    }
    get [Symbol.toStringTag]() {
      return "TextDecoder";
    }
  }

  // ---- atob / btoa (forgiving-base64) ----------------------------------------------

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
    const out = new Chars();
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
        out.push((buffer >> bits) & 0xff);
      }
    }
    return out.text();
  }

  // ---- URLSearchParams -------------------------------------------------------------------

  function usv(value) {
    return apply(toWellFormed, String(value), []);
  }

  // application/x-www-form-urlencoded: '+' is a space, %XX a byte, the bytes UTF-8.
  function formDecode(s) {
    const plain = s.indexOf("%") < 0;
    if (plain) return s.indexOf("+") < 0 ? s : s.replace(/\+/g, " ");
    const bytes = utf8Encode(s);
    const out = new Uint8(bytes.length);
    let w = 0;
    const hex = (b) =>
      b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x41 && b <= 0x46 ? b - 0x37 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === 0x2b) out[w++] = 0x20;
      else if (b === 0x25 && i + 2 < bytes.length && hex(bytes[i + 1]) >= 0 && hex(bytes[i + 2]) >= 0) {
        out[w++] = hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]);
        i += 2;
      } else out[w++] = b;
    }
    return utf8Decode(out.subarray(0, w));
  }

  function formEncode(s) {
    return encodeURIComponent_(s).replace(/%20/g, "+").replace(/[!'()~]/g,
      (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  }

  function parseQuery(s) {
    const list = [];
    const parts = s.split("&");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part === "") continue;
      const eq = part.indexOf("=");
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? "" : part.slice(eq + 1);
      list[list.length] = [formDecode(name), formDecode(value)];
    }
    return list;
  }

  const ITERATOR_PROTO = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));

  function iterate(list, kind) {
    let index = 0;
    const it = Object.create(ITERATOR_PROTO);
    Object.defineProperty(it, "next", {
      value: function next() {
        if (index >= list.length) return { value: undefined, done: true };
        const pair = list[index++];
        const value = kind === "keys" ? pair[0] : kind === "values" ? pair[1] : [pair[0], pair[1]];
        return { value: value, done: false };
      },
      writable: true, configurable: true,
    });
    Object.defineProperty(it, Symbol.toStringTag, { value: "URLSearchParams Iterator", configurable: true });
    return it;
  }

  class URLSearchParams {
    #list;
    constructor(init) {
      let list = [];
      if (init instanceof URLSearchParams) {
        list = init.#list.map((pair) => [pair[0], pair[1]]);
      } else if (init !== null && (typeof init === "object" || typeof init === "function")) {
        if (typeof init[Symbol.iterator] === "function") {
          for (const pair of init) {
            if (pair === null || typeof pair !== "object" || typeof pair[Symbol.iterator] !== "function") {
              throw new TypeError("URLSearchParams: each pair must be an iterable [name, value]");
            }
            const items = Array.from(pair);
            if (items.length !== 2) {
              throw new TypeError("URLSearchParams: each pair must have exactly two items");
            }
            list[list.length] = [usv(items[0]), usv(items[1])];
          }
        } else {
          for (const key of Reflect.ownKeys(init)) {
            if (typeof key !== "string") continue;
            const desc = Reflect.getOwnPropertyDescriptor(init, key);
            if (desc && desc.enumerable) list[list.length] = [usv(key), usv(init[key])];
          }
        }
      } else if (init !== undefined) {
        let s = usv(init);
        if (s[0] === "?") s = s.slice(1);
        list = parseQuery(s);
      }
      this.#list = list;
    }
    get size() {
      return this.#list.length;
    }
    append(name, value) {
      this.#list.push([usv(name), usv(value)]);
    }
    delete(name, value) {
      const n = usv(name);
      const v = value === undefined ? undefined : usv(value);
      const list = this.#list;
      // In place: iterators already handed out walk this same list.
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i][0] === n && (v === undefined || list[i][1] === v)) list.splice(i, 1);
      }
    }
    get(name) {
      const n = usv(name);
      const found = this.#list.find((p) => p[0] === n);
      return found ? found[1] : null;
    }
    getAll(name) {
      const n = usv(name);
      return this.#list.filter((p) => p[0] === n).map((p) => p[1]);
    }
    has(name, value) {
      const n = usv(name);
      const v = value === undefined ? undefined : usv(value);
      return this.#list.some((p) => p[0] === n && (v === undefined || p[1] === v));
    }
    set(name, value) {
      const n = usv(name);
      const v = usv(value);
      const list = this.#list;
      const first = list.findIndex((p) => p[0] === n);
      if (first < 0) {
        list.push([n, v]);
        return;
      }
      list[first][1] = v;
      for (let i = list.length - 1; i > first; i--) {
        if (list[i][0] === n) list.splice(i, 1);
      }
    }
    sort() {
      // Array.prototype.sort is stable; names compare by UTF-16 code units.
      this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    }
    forEach(callback, thisArg) {
      if (typeof callback !== "function") {
        throw new TypeError("URLSearchParams.forEach: callback must be a function");
      }
      const list = this.#list;
      for (let i = 0; i < list.length; i++) callback.call(thisArg, list[i][1], list[i][0], this);
    }
    entries() {
      return iterate(this.#list, "entries");
    }
    keys() {
      return iterate(this.#list, "keys");
    }
    values() {
      return iterate(this.#list, "values");
    }
    [Symbol.iterator]() {
      return iterate(this.#list, "entries");
    }
    toString() {
      return this.#list.map((p) => formEncode(p[0]) + "=" + formEncode(p[1])).join("&");
    }
    get [Symbol.toStringTag]() {
      return "URLSearchParams";
    }
  }

  const globals = { DOMException, TextEncoder, TextDecoder, URLSearchParams, atob, btoa };
  for (const name of Object.keys(globals)) api.define(name, globals[name]);
})
