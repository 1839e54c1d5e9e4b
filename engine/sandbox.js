// The scripthost sandbox: closes what V8 and mini-racer leave open, before the
// prelude and any script run. Evaluated as a function expression; it returns the
// private handle the prelude uses (see context.py).
//
// 1. No script code may run outside an engine call, where no time limit applies.
//    mini-racer's setTimeout (built on Atomics.waitAsync), FinalizationRegistry
//    callbacks and WebAssembly's async compilation all run as background tasks, so
//    they are removed or made inert: there are no timers (docs/scripting-guide.md).
// 2. ArrayBuffer memory lives outside the V8 heap that mini-racer's hard limit
//    measures, so a script could hold gigabytes under a 20 MB limit. Every way to
//    allocate a backing store is charged against a budget equal to the memory
//    limit; what garbage collection reclaimed is released when the budget runs out.
// 3. Host calls (R6) go through a SharedArrayBuffer made here, before anything is
//    guarded, with the raw constructors: its views are the prelude's alone, and
//    it is not charged to the script.
(function (g) {
  "use strict";

  const RawWeakRef = g.WeakRef;
  const RawFinalizationRegistry = g.FinalizationRegistry;
  const RawArrayBuffer = g.ArrayBuffer;
  const RawSharedArrayBuffer = g.SharedArrayBuffer;
  const construct = Reflect.construct;
  const apply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const getPrototypeOf = Object.getPrototypeOf;
  const toNumber = Number;
  const ON_HEAP_BYTES = 64; // V8 keeps typed arrays this small on its own heap

  // ---- 3. the host-call channel (layout: engine/context.py, _Channel) ----------------

  const CHANNEL_HEADER_BYTES = 32;
  const CHANNEL_UNITS = 32768; // UTF-16 code units per chunk: 64 KiB
  // The inbox: slots where the host leaves an engine call's argument (its
  // JSON, ASCII) so that the call's own code never changes (context.py, _Inbox).
  const INBOX_SLOTS = 64;
  const INBOX_SLOT_BYTES = 4096;
  const INBOX_AT = CHANNEL_HEADER_BYTES + 2 * CHANNEL_UNITS;
  const channelBuffer = new RawSharedArrayBuffer(INBOX_AT + INBOX_SLOTS * (4 + INBOX_SLOT_BYTES));
  const channel = {
    buffer: channelBuffer,
    head: new g.Int32Array(channelBuffer, 0, CHANNEL_HEADER_BYTES / 4),
    data: new g.Uint16Array(channelBuffer, CHANNEL_HEADER_BYTES, CHANNEL_UNITS),
    units: CHANNEL_UNITS,
    // Bytes waiting in each slot (0: free), then the slots' bytes.
    inboxLengths: new g.Int32Array(channelBuffer, INBOX_AT, INBOX_SLOTS),
    inbox: new g.Uint8Array(channelBuffer, INBOX_AT + 4 * INBOX_SLOTS, INBOX_SLOTS * INBOX_SLOT_BYTES),
    inboxSlots: INBOX_SLOTS,
    inboxSlotBytes: INBOX_SLOT_BYTES,
  };

  // ---- the garbage collector (V8's --expose-gc, set by context.py) ------------------
  //
  // Only the host may run it (prelude.js, __sh.fence): a script could use it
  // to burn time outside its budget. V8 makes the global non-configurable but
  // writable, so it is overwritten here (a script may still define its own gc).

  const rawCollect = typeof g.gc === "function" ? g.gc : null;
  g.gc = undefined;

  // ---- 1. nothing runs in the background ------------------------------------------

  delete g.Atomics.waitAsync;
  delete g.WebAssembly;
  g.setTimeout = undefined;
  g.clearTimeout = undefined;
  g.__timer_manager = undefined;
  if (RawFinalizationRegistry) {
    // Cleanup callbacks are never called (the language allows that); register()
    // and unregister() still work.
    const FinalizationRegistry = function FinalizationRegistry(cleanup) {
      if (new.target === undefined) {
        throw new TypeError("Constructor FinalizationRegistry requires 'new'");
      }
      if (typeof cleanup !== "function") {
        throw new TypeError("FinalizationRegistry: cleanup must be callable");
      }
      return construct(RawFinalizationRegistry, [function () {}], new.target);
    };
    FinalizationRegistry.prototype = RawFinalizationRegistry.prototype;
    defineProperty(RawFinalizationRegistry.prototype, "constructor", {
      value: FinalizationRegistry, writable: true, configurable: true,
    });
    defineProperty(g, "FinalizationRegistry", {
      value: FinalizationRegistry, writable: true, configurable: true,
    });
  }

  // ---- 2. ArrayBuffer memory budget --------------------------------------------------

  const memory = {
    limit: Infinity,
    used: 0, // bytes charged and not yet seen to be collected
    live: [], // {ref: WeakRef(buffer), bytes}
    pruneAt: 1024,
    exceeded: false,
    byBuffer: new WeakMap(),
  };

  function recount() {
    let used = 0;
    const keep = [];
    const live = memory.live;
    for (let i = 0; i < live.length; i++) {
      const entry = live[i];
      if (entry.bytes > 0 && entry.ref.deref() !== undefined) {
        keep[keep.length] = entry;
        used += entry.bytes;
      }
    }
    memory.live = keep;
    memory.used = used;
    memory.pruneAt = Math.max(1024, keep.length * 2);
  }

  function charge(bytes) {
    if (!(bytes > ON_HEAP_BYTES)) return 0;
    if (memory.used + bytes > memory.limit) recount();
    if (memory.used + bytes > memory.limit) stop();
    memory.used += bytes;
    return bytes;
  }

  // Over budget: make it the same uncatchable stop as the V8 heap's, by growing
  // the heap past mini-racer's hard limit (set to the same figure), which
  // terminates the script. A script that caught a RangeError could go on.
  function stop() {
    memory.exceeded = true;
    const sink = [];
    for (let grown = 0; grown < 4 * memory.limit; grown += 1 << 18) {
      sink[sink.length] = new Array(1 << 16).fill(grown);
    }
    throw new RangeError("Script exceeded its memory limit and was stopped");
  }

  function track(buffer, bytes) {
    if (!(bytes > ON_HEAP_BYTES)) return;
    const entry = { ref: new RawWeakRef(buffer), bytes: bytes };
    memory.live[memory.live.length] = entry;
    memory.byBuffer.set(buffer, entry);
    if (memory.live.length > memory.pruneAt) recount();
  }

  // Run allocate() with `bytes` charged up front; give them back if it throws.
  function charged(bytes, allocate) {
    const taken = charge(bytes);
    try {
      return allocate();
    } catch (e) {
      memory.used -= taken;
      throw e;
    }
  }

  function byteLength(value) {
    const n = toNumber(value);
    return n > 0 && n < Infinity ? Math.floor(n) : 0;
  }

  // The built-in getters, read once: a script may redefine the properties.
  const getter = (proto, name) => getOwnPropertyDescriptor(proto, name).get;
  const TypedArrayProto = getPrototypeOf(g.Uint8Array.prototype);
  const viewBuffer = getter(TypedArrayProto, "buffer");
  const viewBytes = getter(TypedArrayProto, "byteLength");
  const bufferGetters = [getter(RawArrayBuffer.prototype, "byteLength")];
  if (RawSharedArrayBuffer) {
    bufferGetters[1] = getter(RawSharedArrayBuffer.prototype, "byteLength");
  }

  // The size of an ArrayBuffer or SharedArrayBuffer, or -1 for anything else.
  function bufferBytes(value) {
    if (value === null || typeof value !== "object") return -1;
    for (let i = 0; i < bufferGetters.length; i++) {
      try {
        return apply(bufferGetters[i], value, []);
      } catch (e) {
        // not this kind of buffer
      }
    }
    return -1;
  }

  function isView(value) {
    try {
      apply(viewBytes, value, []);
      return true;
    } catch (e) {
      return false;
    }
  }

  // Replace a built-in constructor by a proxy whose construct trap charges first,
  // and point its prototype's `constructor` at the proxy so that species-created
  // results (slice, map, filter, subarray) go through the trap too.
  function guard(name, trap) {
    const Raw = g[name];
    if (typeof Raw !== "function") return;
    const Guarded = new Proxy(Raw, { construct: trap });
    defineProperty(Raw.prototype, "constructor", {
      value: Guarded, writable: true, configurable: true,
    });
    defineProperty(g, name, { value: Guarded, writable: true, configurable: true });
  }

  function bufferTrap(Raw, args, newTarget) {
    const length = byteLength(args[0]);
    const options = args[1];
    let max;
    if (options !== null && typeof options === "object" && options.maxByteLength !== undefined) {
      max = byteLength(options.maxByteLength);
    }
    const bytes = max === undefined ? length : Math.max(length, max);
    const fixed = max === undefined ? [length] : [length, { maxByteLength: max }];
    const buffer = charged(bytes, () => construct(Raw, fixed, newTarget));
    track(buffer, bytes);
    return buffer;
  }

  guard("ArrayBuffer", bufferTrap);
  guard("SharedArrayBuffer", bufferTrap);

  const TYPED = [
    "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
    "Int32Array", "Uint32Array", "Float16Array", "Float32Array", "Float64Array",
    "BigInt64Array", "BigUint64Array",
  ];
  for (let i = 0; i < TYPED.length; i++) {
    guard(TYPED[i], function (Raw, args, newTarget) {
      const first = args[0];
      if (bufferBytes(first) >= 0) return construct(Raw, args, newTarget); // a view
      let fixed = args;
      let bytes;
      if (first === null || typeof first !== "object") {
        const length = byteLength(first);
        fixed = [length];
        bytes = length * Raw.BYTES_PER_ELEMENT;
      } else {
        bytes = byteLength(first.length) * Raw.BYTES_PER_ELEMENT;
      }
      const array = charged(bytes, () => construct(Raw, fixed, newTarget));
      // An iterable without a length, or a length that changed: charge the rest.
      const extra = apply(viewBytes, array, []) - bytes;
      if (extra > 0) {
        charge(extra);
        bytes += extra;
      }
      track(apply(viewBuffer, array, []), bytes);
      return array;
    });
  }

  // Methods that allocate through the intrinsic constructors, not through species.
  function chargeResult(proto, name, bytesOf) {
    const raw = proto && proto[name];
    if (typeof raw !== "function") return;
    const wrapped = {
      [name](...args) {
        const bytes = bytesOf(this, args);
        const result = charged(bytes, () => apply(raw, this, args));
        if (isView(result)) {
          const buffer = apply(viewBuffer, result, []);
          track(buffer, Math.max(bytes, bufferBytes(buffer)));
        }
        return result;
      },
    }[name];
    defineProperty(proto, name, { value: wrapped, writable: true, configurable: true });
  }

  const sameSize = (self) => (isView(self) ? apply(viewBytes, self, []) : 0);
  chargeResult(TypedArrayProto, "toReversed", sameSize);
  chargeResult(TypedArrayProto, "toSorted", sameSize);
  chargeResult(TypedArrayProto, "with", sameSize);
  const decoded = (self, args) => (typeof args[0] === "string" ? args[0].length : 0);
  chargeResult(g.Uint8Array, "fromBase64", decoded);
  chargeResult(g.Uint8Array, "fromHex", decoded);
  for (const Raw of [RawArrayBuffer, RawSharedArrayBuffer]) {
    if (!Raw) continue;
    for (const name of ["transfer", "transferToFixedLength"]) {
      const raw = Raw.prototype[name];
      if (typeof raw !== "function") continue;
      const wrapped = {
        [name](newLength) {
          const old = memory.byBuffer.get(this);
          const bytes = newLength === undefined ? Math.max(bufferBytes(this), 0) : byteLength(newLength);
          const args = newLength === undefined ? [] : [bytes];
          const result = charged(bytes, () => apply(raw, this, args));
          if (old) old.bytes = 0; // detached: its memory moved to the result
          track(result, bytes);
          return result;
        },
      }[name];
      defineProperty(Raw.prototype, name, { value: wrapped, writable: true, configurable: true });
    }
  }

  return {
    channel: channel,
    // A full collection of the heap, garbage and ArrayBuffers (see above).
    collect() {
      if (rawCollect !== null) rawCollect();
    },
    memory: {
      // Set the budget for the next call; an earlier overrun is forgotten because
      // the context it happened in was discarded.
      limit(bytes) {
        memory.limit = bytes > 0 ? bytes : Infinity;
      },
      begin() {
        memory.exceeded = false;
      },
      get exceeded() {
        return memory.exceeded;
      },
      // Worth a garbage collection before the next call?
      get pressing() {
        return memory.used > memory.limit / 2;
      },
    },
  };
})
