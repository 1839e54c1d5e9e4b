// URLSearchParams as the URL standard defines it: application/x-www-form-urlencoded
// parsing and serialising, an ordered list of pairs, and live iterators.
(function (g, api) {
  "use strict";

  const apply = Reflect.apply;
  const toWellFormed = String.prototype.toWellFormed;
  const encodeURIComponent_ = encodeURIComponent;
  const Uint8 = g.Uint8Array;
  const TextEncoderClass = g.TextEncoder; // from 10_web.js
  const TextDecoderClass = g.TextDecoder;
  let encoder = null;
  let decoder = null;

  function usv(value) {
    return apply(toWellFormed, String(value), []);
  }

  // application/x-www-form-urlencoded: '+' is a space, %XX a byte, the bytes UTF-8.
  function formDecode(s) {
    const plain = s.indexOf("%") < 0;
    if (plain) return s.indexOf("+") < 0 ? s : s.replace(/\+/g, " ");
    if (encoder === null) {
      encoder = new TextEncoderClass();
      decoder = new TextDecoderClass("utf-8", { ignoreBOM: true });
    }
    const bytes = encoder.encode(s);
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
    return decoder.decode(out.subarray(0, w));
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

  api.define("URLSearchParams", URLSearchParams);
})
