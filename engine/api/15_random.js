// Random bytes for identifiers: crypto.getRandomValues and crypto.randomUUID.
//
// V8's Math.random is xorshift128+: a few outputs reveal its state and so every
// later one, which would make UUIDs handed to clients guessable. So bytes come
// from ChaCha20 (RFC 8439 block function, 64-bit counter, zero nonce) instead.
// Its key is 32 bytes of host entropy that the host hands over with __sh.setup
// right after the prelude (taken when this module is installed, on first use);
// until then it is drawn from Math.random, which V8 seeds per isolate from the
// OS, so it is unpredictable from outside but only as strong as that seed.
// Each context (one script version) has its own generator; nothing is shared.
(function (g, api) {
  "use strict";

  const mathRandom = Math.random;
  const floor = Math.floor;
  const apply = Reflect.apply;
  const Uint8 = g.Uint8Array;
  const TypedArrayProto = Object.getPrototypeOf(Uint8.prototype);
  const getter = (name) => Object.getOwnPropertyDescriptor(TypedArrayProto, name).get;
  const viewTag = getter(Symbol.toStringTag);
  const viewBuffer = getter("buffer");
  const viewOffset = getter("byteOffset");
  const viewLength = getter("byteLength");
  const INTEGER_ARRAYS = [
    "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
    "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array",
  ];
  const MAX_BYTES = 65536;

  const key = [0, 0, 0, 0, 0, 0, 0, 0]; // eight 32-bit words
  let keyed = false;
  let counter = 0;
  const pool = []; // bytes of the current block
  let used = 64;

  function rekey(words) {
    for (let i = 0; i < 8; i++) key[i] = words[i] >>> 0;
    keyed = true;
    counter = 0;
    used = 64;
  }

  function fallbackKey() {
    const words = [];
    for (let i = 0; i < 8; i++) words[i] = floor(mathRandom() * 4294967296);
    rekey(words);
  }

  function block() {
    const j4 = key[0], j5 = key[1], j6 = key[2], j7 = key[3];
    const j8 = key[4], j9 = key[5], j10 = key[6], j11 = key[7];
    const j12 = counter >>> 0, j13 = floor(counter / 4294967296) >>> 0;
    let x0 = 0x61707865, x1 = 0x3320646e, x2 = 0x79622d32, x3 = 0x6b206574;
    let x4 = j4, x5 = j5, x6 = j6, x7 = j7, x8 = j8, x9 = j9, x10 = j10, x11 = j11;
    let x12 = j12, x13 = j13, x14 = 0, x15 = 0;
    for (let round = 0; round < 10; round++) {
      // column rounds
      x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 16) | (x12 >>> 16);
      x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 12) | (x4 >>> 20);
      x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 8) | (x12 >>> 24);
      x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 7) | (x4 >>> 25);
      x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 16) | (x13 >>> 16);
      x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 12) | (x5 >>> 20);
      x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 8) | (x13 >>> 24);
      x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 7) | (x5 >>> 25);
      x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 16) | (x14 >>> 16);
      x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 12) | (x6 >>> 20);
      x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 8) | (x14 >>> 24);
      x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 7) | (x6 >>> 25);
      x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 16) | (x15 >>> 16);
      x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 12) | (x7 >>> 20);
      x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 8) | (x15 >>> 24);
      x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 7) | (x7 >>> 25);
      // diagonal rounds
      x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 16) | (x15 >>> 16);
      x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 12) | (x5 >>> 20);
      x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 8) | (x15 >>> 24);
      x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 7) | (x5 >>> 25);
      x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 16) | (x12 >>> 16);
      x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 12) | (x6 >>> 20);
      x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 8) | (x12 >>> 24);
      x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 7) | (x6 >>> 25);
      x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 16) | (x13 >>> 16);
      x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 12) | (x7 >>> 20);
      x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 8) | (x13 >>> 24);
      x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 7) | (x7 >>> 25);
      x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 16) | (x14 >>> 16);
      x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 12) | (x4 >>> 20);
      x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 8) | (x14 >>> 24);
      x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 7) | (x4 >>> 25);
    }
    const out = [
      x0 + 0x61707865, x1 + 0x3320646e, x2 + 0x79622d32, x3 + 0x6b206574,
      x4 + j4, x5 + j5, x6 + j6, x7 + j7, x8 + j8, x9 + j9, x10 + j10, x11 + j11,
      x12 + j12, x13 + j13, x14, x15,
    ];
    for (let i = 0; i < 16; i++) {
      const w = out[i];
      pool[4 * i] = w & 0xff;
      pool[4 * i + 1] = (w >>> 8) & 0xff;
      pool[4 * i + 2] = (w >>> 16) & 0xff;
      pool[4 * i + 3] = (w >>> 24) & 0xff;
    }
    counter += 1;
    used = 0;
  }

  function randomByte() {
    if (!keyed) fallbackKey();
    if (used === 64) block();
    return pool[used++];
  }

  let HEX = null;

  function uuid(version, bytes) {
    if (HEX === null) {
      HEX = [];
      for (let i = 0; i < 256; i++) HEX[i] = (i + 0x100).toString(16).slice(1);
    }
    const b = bytes || [];
    if (!bytes) for (let i = 0; i < 16; i++) b[i] = randomByte();
    b[6] = (b[6] & 0x0f) | (version << 4);
    b[8] = (b[8] & 0x3f) | 0x80;
    return HEX[b[0]] + HEX[b[1]] + HEX[b[2]] + HEX[b[3]] + "-" + HEX[b[4]] + HEX[b[5]] + "-" +
      HEX[b[6]] + HEX[b[7]] + "-" + HEX[b[8]] + HEX[b[9]] + "-" +
      HEX[b[10]] + HEX[b[11]] + HEX[b[12]] + HEX[b[13]] + HEX[b[14]] + HEX[b[15]];
  }

  function getRandomValues(array) {
    let tag;
    try {
      tag = apply(viewTag, array, []);
    } catch (e) {
      tag = undefined;
    }
    if (INTEGER_ARRAYS.indexOf(tag) < 0) {
      throw new g.DOMException(
        "Failed to execute 'getRandomValues' on 'Crypto': The provided ArrayBufferView is not an integer array type.",
        "TypeMismatchError");
    }
    const length = apply(viewLength, array, []);
    if (length > MAX_BYTES) {
      throw new g.DOMException(
        "Failed to execute 'getRandomValues' on 'Crypto': The ArrayBufferView's byte length (" +
        length + ") exceeds the number of bytes of entropy available via this API (65536).",
        "QuotaExceededError");
    }
    const bytes = new Uint8(apply(viewBuffer, array, []), apply(viewOffset, array, []), length);
    for (let i = 0; i < length; i++) bytes[i] = randomByte();
    return array;
  }

  const crypto = {
    getRandomValues: getRandomValues,
    randomUUID() {
      return uuid(4);
    },
  };
  // The host's entropy: 64 hex digits (32 bytes) become the ChaCha20 key.
  Object.defineProperty(crypto, Symbol.for("scripthost.seedRandom"), {
    value: function seedRandom(hex) {
      if (typeof hex !== "string" || !/^[0-9a-fA-F]{64}$/.test(hex)) {
        throw new TypeError("seedRandom needs 64 hex digits");
      }
      const words = [];
      for (let i = 0; i < 8; i++) {
        // little-endian words, as RFC 8439 reads the key bytes
        let w = 0;
        for (let j = 3; j >= 0; j--) w = w * 256 + parseInt(hex.substr(8 * i + 2 * j, 2), 16);
        words[i] = w;
      }
      rekey(words);
    },
  });
  Object.defineProperty(crypto, Symbol.toStringTag, { value: "Crypto", configurable: true });
  const seed = api.takeSeed();
  if (seed !== null) crypto[Symbol.for("scripthost.seedRandom")](seed);
  api.define("crypto", crypto);
  // For 20_utils.js ($.uuid, utils.uuid): the generator itself, whatever a
  // script does to the crypto global.
  api.provide("random", Object.freeze({ byte: randomByte, uuid: uuid }));
})
