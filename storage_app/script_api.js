// Script storage: sharedStorage and personalStorage (aiwebengine) and storage
// (IOTA). Reads are synchronous host calls (R6). Writes are effects
// the host applies in one transaction once the handler has succeeded (R5); they
// return their seed's value at once, and later reads in the same invocation
// see them through an overlay kept in api.scratch().
(function (g, api) {
  "use strict";

  const MAX_KEY_CHARS = 500;
  const MAX_VALUE_BYTES = 1024 * 1024;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const create = Object.create;
  const freeze = Object.freeze;
  const isFinite = Number.isFinite;

  function utf8Bytes(text) {
    let bytes = text.length;
    if (bytes > MAX_VALUE_BYTES || bytes * 3 <= MAX_VALUE_BYTES) return bytes;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) {
        bytes += 2; // a surrogate pair: 4 bytes for 2 code units
        i++;
      } else if (c >= 0x800) bytes += 2;
      else if (c >= 0x80) bytes += 1;
    }
    return bytes;
  }

  // What this invocation wrote, per scope: {cleared, items: {key: value | null}}.
  function overlay(scope) {
    const scratch = api.scratch();
    const all = scratch.storage || (scratch.storage = create(null));
    return all[scope] || (all[scope] = { cleared: false, items: create(null) });
  }

  // undefined when this invocation has not written the key.
  function pending(scope, key) {
    const o = overlay(scope);
    if (key in o.items) return o.items[key];
    return o.cleared ? null : undefined;
  }

  function keyProblem(key) {
    if (typeof key !== "string") return "Key must be a string";
    if (key.length === 0) return "Key cannot be empty";
    if (key.length > MAX_KEY_CHARS) return "Key is longer than " + MAX_KEY_CHARS + " characters";
    return null;
  }

  function sizeProblem(bytes) {
    if (bytes > MAX_VALUE_BYTES) {
      return "Value too large (" + bytes + " bytes; the limit is 1MB, " + MAX_VALUE_BYTES + " bytes)";
    }
    return null;
  }

  function authenticated() {
    const request = api.request();
    return !!(request && request.auth && request.auth.isAuthenticated === true);
  }

  function duringCall() {
    return api.phase() === "invoke";
  }

  // ---- sharedStorage / personalStorage (aiwebengine) ----------------------------

  function webStorage(scope, name) {
    const personal = scope === "personal";
    const locked = () => personal && !authenticated();

    function writeProblem() {
      if (!duringCall()) return "Error: " + name + " can only be changed while handling a call, not at load time";
      // The reference implementation's wording (the seed gives none).
      if (locked()) return "Error: Personal storage requires authentication. Please log in.";
      return null;
    }

    return freeze({
      getItem(key) {
        if (keyProblem(key) !== null || locked()) return null;
        if (!duringCall()) {
          throw new Error(name + " can only be read while handling a call");
        }
        const mine = pending(scope, key);
        if (mine !== undefined) return mine;
        return api.call("storage.get", [scope, key]);
      },
      setItem(key, value) {
        const problem = writeProblem() || keyProblem(key);
        if (problem) return problem.startsWith("Error: ") ? problem : "Error: " + problem;
        if (typeof value !== "string") {
          return "Error: Value must be a string (use JSON.stringify for objects)";
        }
        const tooBig = sizeProblem(utf8Bytes(value));
        if (tooBig) return "Error: " + tooBig;
        api.effect("storage.set", { scope: scope, key: key, value: value });
        overlay(scope).items[key] = value;
        return "Item stored";
      },
      // Whether the key existed (a read), as the seed's boolean.
      removeItem(key) {
        if (writeProblem() || keyProblem(key)) return false;
        const mine = pending(scope, key);
        const existed = mine !== undefined ? mine !== null : api.call("storage.has", [scope, key]);
        api.effect("storage.remove", { scope: scope, key: key });
        overlay(scope).items[key] = null;
        return existed;
      },
      clear() {
        const problem = writeProblem();
        if (problem) return problem;
        api.effect("storage.clear", { scope: scope });
        const o = overlay(scope);
        o.cleared = true;
        o.items = create(null);
        return name + " cleared";
      },
    });
  }

  const shared = webStorage("shared", "sharedStorage");
  api.define("sharedStorage", shared);
  // The reference implementation's first name for sharedStorage (it was
  // renamed on 14 Nov 2025; the name then meant a script-management API, which
  // scripthost does not give scripts): the same object, so older scripts that
  // call scriptStorage.getItem/setItem/removeItem/clear run unchanged.
  api.define("scriptStorage", shared);
  api.define("personalStorage", webStorage("personal", "personalStorage"));

  // ---- storage (IOTA): JSON values with an optional TTL, tenant-wide -------------

  function checkKey(method, key) {
    const problem = keyProblem(key);
    if (problem) throw new TypeError("storage." + method + ": " + problem);
    if (!duringCall()) throw new Error("storage." + method + " can only be used while handling a call");
  }

  function decode(text) {
    return text === null ? null : parse(text);
  }

  api.define("storage", freeze({
    get(key) {
      checkKey("get", key);
      const mine = pending("tenant", key);
      if (mine !== undefined) return decode(mine);
      return decode(api.call("storage.get", ["tenant", key]));
    },
    set(key, value, ttlSeconds) {
      checkKey("set", key);
      let text;
      try {
        text = stringify(value);
      } catch (e) {
        throw new TypeError("storage.set: the value is not JSON-serialisable: " + e.message);
      }
      if (text === undefined) {
        throw new TypeError("storage.set: the value must be JSON data, not " + typeof value);
      }
      const tooBig = sizeProblem(utf8Bytes(text));
      if (tooBig) throw new RangeError("storage.set: " + tooBig);
      let ttl = null;
      if (ttlSeconds !== undefined && ttlSeconds !== null) {
        if (typeof ttlSeconds !== "number" || !isFinite(ttlSeconds) || ttlSeconds <= 0) {
          throw new TypeError("storage.set: ttlSeconds must be a positive number of seconds");
        }
        ttl = ttlSeconds;
      }
      api.effect("storage.set", { scope: "tenant", key: key, value: text, ttl: ttl });
      overlay("tenant").items[key] = text;
      return undefined;
    },
    delete(key) {
      checkKey("delete", key);
      api.effect("storage.remove", { scope: "tenant", key: key });
      overlay("tenant").items[key] = null;
      return undefined;
    },
  }));
})
