// IOTA's `utils` (uuid, date, crypto.hash), and the uuid generators the
// Predix `$` (triggers_app) is made with.
//
// Dates are ISO 8601 strings in UTC (utils.date.now() === new Date().toISOString()
// at that instant): they survive JSON and storage unchanged and compare in time
// order with < and >, which the IOTA examples rely on.
(function (g, api) {
  "use strict";

  const random = api.need("random"); // from 15_random.js, never on the global
  const DateClass = Date;
  const dateNow = Date.now;
  const TextEncoderClass = g.TextEncoder;
  const isView = ArrayBuffer.isView;
  const Uint8 = g.Uint8Array;
  const Int32 = g.Int32Array;
  const floor = Math.floor;
  const DAY_MS = 86400000;

  // ---- uuid ------------------------------------------------------------------------

  // RFC 4122 version 1: 100 ns intervals since 1582-10-15, a random clock
  // sequence and a random node id with the multicast bit set (no MAC address).
  const v1state = { node: null, clockseq: 0, lastMs: -1, nsecs: 0 };

  function uuidV1() {
    const s = v1state;
    if (s.node === null) {
      s.node = [];
      for (let i = 0; i < 6; i++) s.node[i] = random.byte();
      s.node[0] |= 0x01;
      s.clockseq = ((random.byte() << 8) | random.byte()) & 0x3fff;
    }
    let ms = dateNow();
    if (ms < s.lastMs) {
      if (s.lastMs - ms > 10000) {
        s.clockseq = (s.clockseq + 1) & 0x3fff; // the clock went back
        s.nsecs = 0;
      } else {
        ms = s.lastMs; // a small step back: keep counting from the last time
      }
    }
    if (ms === s.lastMs) {
      s.nsecs += 1;
      if (s.nsecs >= 10000) {
        ms += 1; // more than 10,000 in one millisecond: borrow the next one
        s.nsecs = 0;
      }
    } else if (ms > s.lastMs) {
      s.nsecs = 0;
    }
    s.lastMs = ms;
    const t = ms + 12219292800000; // 1582-10-15 to 1970-01-01, in ms
    const low = ((t % 0x10000000) * 10000 + s.nsecs) % 0x100000000;
    const high = floor((t / 0x100000000) * 10000) & 0xfffffff;
    const b = [
      (low >>> 24) & 0xff, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff,
      (high >>> 8) & 0xff, high & 0xff, (high >>> 24) & 0x0f, (high >>> 16) & 0xff,
      s.clockseq >>> 8, s.clockseq & 0xff,
    ];
    return random.uuid(1, b.concat(s.node));
  }

  const uuidV4 = () => random.uuid(4);

  // ---- dates -----------------------------------------------------------------------

  function toDate(value, caller) {
    let d;
    if (value instanceof DateClass) d = new DateClass(value.getTime());
    else if (typeof value === "number" || typeof value === "string") d = new DateClass(value);
    else d = new DateClass(NaN);
    if (Number.isNaN(d.getTime())) {
      throw new RangeError("utils.date." + caller + ": not a date: " + String(value));
    }
    return d;
  }

  const MONTHS = ["January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"];
  const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const TOKENS = /\[([^\]]*)]|YYYY|YY|MMMM|MMM|MM|M|DD|D|dddd|ddd|HH|H|hh|h|mm|m|ss|s|SSS|A|a|ZZ|Z|X|x/g;
  const pad = (n, width) => String(n).padStart(width, "0");

  function format(value, pattern) {
    const d = toDate(value, "format");
    if (pattern === undefined) return d.toISOString();
    const Y = d.getUTCFullYear(), Mo = d.getUTCMonth(), D = d.getUTCDate(), H = d.getUTCHours();
    const h12 = H % 12 === 0 ? 12 : H % 12;
    return String(pattern).replace(TOKENS, (token, literal) => {
      if (literal !== undefined) return literal;
      switch (token) {
        case "YYYY": return pad(Y, 4);
        case "YY": return pad(Y % 100, 2);
        case "MMMM": return MONTHS[Mo];
        case "MMM": return MONTHS[Mo].slice(0, 3);
        case "MM": return pad(Mo + 1, 2);
        case "M": return String(Mo + 1);
        case "DD": return pad(D, 2);
        case "D": return String(D);
        case "dddd": return DAYS[d.getUTCDay()];
        case "ddd": return DAYS[d.getUTCDay()].slice(0, 3);
        case "HH": return pad(H, 2);
        case "H": return String(H);
        case "hh": return pad(h12, 2);
        case "h": return String(h12);
        case "mm": return pad(d.getUTCMinutes(), 2);
        case "m": return String(d.getUTCMinutes());
        case "ss": return pad(d.getUTCSeconds(), 2);
        case "s": return String(d.getUTCSeconds());
        case "SSS": return pad(d.getUTCMilliseconds(), 3);
        case "A": return H < 12 ? "AM" : "PM";
        case "a": return H < 12 ? "am" : "pm";
        case "ZZ": return "+0000";
        case "Z": return "+00:00";
        case "X": return String(floor(d.getTime() / 1000));
        default: return String(d.getTime()); // "x"
      }
    });
  }

  function addDays(value, days) {
    const d = toDate(value, "addDays");
    const n = Number(days);
    if (!Number.isFinite(n)) throw new RangeError("utils.date.addDays: days must be a finite number");
    return new DateClass(d.getTime() + n * DAY_MS).toISOString();
  }

  const date = {
    now: () => new DateClass(dateNow()).toISOString(),
    format: format,
    addDays: addDays,
  };

  // ---- digests ---------------------------------------------------------------------

  let encoder = null;

  function bytesOf(data) {
    if (typeof data === "string") {
      if (encoder === null) encoder = new TextEncoderClass();
      return encoder.encode(data);
    }
    if (isView(data)) return new Uint8(data.buffer, data.byteOffset, data.byteLength);
    if (data instanceof ArrayBuffer) return new Uint8(data);
    throw new TypeError("utils.crypto.hash: data must be a string, an ArrayBuffer or a typed array");
  }

  // The message padded to 64-byte blocks as 32-bit words (big- or little-endian).
  function padded(bytes, little) {
    const n = bytes.length;
    const words = new Int32(Math.ceil((n + 9) / 64) * 16);
    for (let i = 0; i < n; i++) {
      const shift = little ? (i & 3) * 8 : 24 - (i & 3) * 8;
      words[i >> 2] |= bytes[i] << shift;
    }
    words[n >> 2] |= 0x80 << (little ? (n & 3) * 8 : 24 - (n & 3) * 8);
    const lo = (n * 8) >>> 0;
    const hi = floor(n / 0x20000000);
    const last = words.length - 1;
    words[little ? last - 1 : last] = lo;
    words[little ? last : last - 1] = hi;
    return words;
  }

  const hexWord = (w) => (w >>> 0).toString(16).padStart(8, "0");
  const swap = (w) => ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);

  let K256 = null;

  function sha256(bytes) {
    if (K256 === null) {
      K256 = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
      ];
    }
    const K = K256;
    const m = padded(bytes, false);
    const w = new Array(64);
    const H = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    for (let off = 0; off < m.length; off += 16) {
      for (let t = 0; t < 16; t++) w[t] = m[off + t];
      for (let t = 16; t < 64; t++) {
        const a = w[t - 15], b = w[t - 2];
        const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], gg = H[6], h = H[7];
      for (let t = 0; t < 64; t++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (h + S1 + ((e & f) ^ (~e & gg)) + K[t] + w[t]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = gg; gg = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
      H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + gg) | 0; H[7] = (H[7] + h) | 0;
    }
    return H.map(hexWord).join("");
  }

  function sha1(bytes) {
    const m = padded(bytes, false);
    const w = new Array(80);
    const H = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
    for (let off = 0; off < m.length; off += 16) {
      for (let t = 0; t < 16; t++) w[t] = m[off + t];
      for (let t = 16; t < 80; t++) {
        const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
        w[t] = (x << 1) | (x >>> 31);
      }
      let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4];
      for (let t = 0; t < 80; t++) {
        let f, k;
        if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
        else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
        else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
        else { f = b ^ c ^ d; k = 0xca62c1d6; }
        const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0;
        e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = temp;
      }
      H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0;
      H[3] = (H[3] + d) | 0; H[4] = (H[4] + e) | 0;
    }
    return H.map(hexWord).join("");
  }

  let T5 = null;
  const S5 = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

  function md5(bytes) {
    if (T5 === null) {
      T5 = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
        0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
        0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
        0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
        0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
        0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
        0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
      ];
    }
    const T = T5;
    const m = padded(bytes, true);
    const H = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    for (let off = 0; off < m.length; off += 16) {
      let a = H[0], b = H[1], c = H[2], d = H[3];
      for (let i = 0; i < 64; i++) {
        let f, k;
        if (i < 16) { f = (b & c) | (~b & d); k = i; }
        else if (i < 32) { f = (d & b) | (~d & c); k = (5 * i + 1) & 15; }
        else if (i < 48) { f = b ^ c ^ d; k = (3 * i + 5) & 15; }
        else { f = c ^ (b | ~d); k = (7 * i) & 15; }
        const x = (f + a + T[i] + m[off + k]) | 0;
        const s = S5[(i >> 4) * 4 + (i & 3)];
        a = d; d = c; c = b;
        b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
      }
      H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
    }
    return H.map((word) => hexWord(swap(word))).join("");
  }

  const DIGESTS = { sha256: sha256, "sha-256": sha256, sha1: sha1, "sha-1": sha1, md5: md5 };

  function hash(data, algorithm) {
    const name = algorithm === undefined ? "sha256" : String(algorithm).toLowerCase();
    const digest = Object.prototype.hasOwnProperty.call(DIGESTS, name) ? DIGESTS[name] : null;
    if (digest === null) {
      throw new Error("utils.crypto.hash: unsupported algorithm '" + algorithm + "' (use sha256, sha1 or md5)");
    }
    return digest(bytesOf(data));
  }

  api.define("utils", {
    uuid: uuidV4,
    date: date,
    crypto: { hash: hash },
  });
  // For the Predix `$` SDK (triggers_app): the same generators.
  api.provide("uuid", Object.freeze({ v1: uuidV1, v4: uuidV4 }));
})
