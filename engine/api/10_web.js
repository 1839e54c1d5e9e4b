// The web basics bare V8 lacks, as the WHATWG specs define them: DOMException,
// TextEncoder and TextDecoder (utf-8 only). 12_base64.js and 13_url.js build on
// these. Pure JS, run in every context: the top level only defines; work
// happens on use.
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

  const globals = { DOMException, TextEncoder, TextDecoder };
  for (const name of Object.keys(globals)) api.define(name, globals[name]);
})
