// The Predix Scripting Engine's `$` SDK, and the handler that runs a Predix
// script body (triggers_app: a script with an @execution tag is the body of
// `async function* __predixBody() {...}`; __predixRun drives it as a
// coroutine, so `yield x` gives back x's value, awaited).
//
// What a script asks of the request ($.cancelRequest, $.updateEntity,
// $.removeEntity, $.updateBody, $.setResponse) and what it reports ($.log)
// is kept per invocation and handed back as __predixRun's value; the host
// (triggers_app.runtime) acts on it. $.get and the writes are synchronous
// host calls to the document store (R6), and return {statusCode, body}.
(function (g, api) {
  "use strict";

  const uuid = api.need("uuid");
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const isArray = Array.isArray;
  const keys = Object.keys;
  const hasOwn = Object.prototype.hasOwnProperty;
  const defineProperty = Object.defineProperty;
  const MAX_MESSAGES = 100;

  // This invocation's Predix state.
  function predix() {
    const scratch = api.scratch();
    return scratch.predix || (scratch.predix = {
      phase: null, method: null, cancels: [], messages: [],
      entity: undefined, removed: null, ops: undefined, response: undefined,
    });
  }

  function text(message) {
    if (typeof message === "string") return message;
    if (message === undefined) return "undefined";
    try {
      const json = stringify(message);
      return json === undefined ? String(message) : json;
    } catch (e) {
      return String(message);
    }
  }

  function only(what, phases, methods) {
    const st = predix();
    if (phases.indexOf(st.phase) < 0) {
      throw new Error(what + " is only available in " + phases.join(" and ") +
        " scripts (this one runs as " + (st.phase || "no Predix phase") + ")");
    }
    if (methods && methods.indexOf(st.method) < 0) {
      throw new Error(what + " applies to " + methods.join(" and ") +
        " requests (this one is " + st.method + ")");
    }
    return st;
  }

  function note(st, message) {
    if (st.messages.length < MAX_MESSAGES) st.messages[st.messages.length] = message;
  }

  function clone(value, what) {
    let json;
    try {
      json = stringify(value);
    } catch (e) {
      throw new TypeError(what + " must be JSON data: " + e.message);
    }
    if (json === undefined) throw new TypeError(what + " must be JSON data, got " + typeof value);
    return parse(json);
  }

  // ---- the request ---------------------------------------------------------------

  function cancelRequest(message) {
    const st = only("$.cancelRequest", ["pre-processing"]);
    st.cancels[st.cancels.length] = text(message);
  }

  function updateEntity(entity) {
    const st = only("$.updateEntity", ["pre-processing"], ["POST", "PUT"]);
    if (entity === null || typeof entity !== "object" || isArray(entity)) {
      throw new TypeError("$.updateEntity(entity) takes the entity, an object");
    }
    st.entity = clone(entity, "The entity");
  }

  function removeEntity(message) {
    const st = only("$.removeEntity", ["pre-processing"], ["POST", "PUT"]);
    st.removed = message === undefined ? "Entity removed" : text(message);
  }

  function updateBody(ops) {
    const st = only("$.updateBody", ["pre-processing"], ["PATCH"]);
    if (!isArray(ops)) throw new TypeError("$.updateBody(ops) takes a JSON Patch, an array of operations");
    st.ops = clone(ops, "The patch");
  }

  function setResponse(response) {
    const st = only("$.setResponse", ["custom"]);
    if (response === null || typeof response !== "object") {
      throw new TypeError("$.setResponse takes {status, body}");
    }
    const status = response.status === undefined ? 200 : response.status;
    if (typeof status !== "number" || status % 1 !== 0 || status < 200 || status > 599) {
      throw new RangeError("$.setResponse: status must be an integer from 200 to 599, got " + text(status));
    }
    st.response = { status: status, body: response.body === undefined ? null : clone(response.body, "The body") };
  }

  function log(message) {
    note(predix(), text(message));
  }

  // ---- the document store --------------------------------------------------------

  function get(uri) {
    if (typeof uri !== "string") throw new TypeError("$.get(uri) takes a uri such as '/assets/pump-1'");
    return api.call("store.get", [uri]);
  }

  function writer(method, name) {
    return function (uri, body) {
      only(name, ["post-processing", "custom"]);
      if (typeof uri !== "string") throw new TypeError(name + "(uri, ...) takes a uri such as '/assets/pump-1'");
      return api.call("store.write", [method, uri, body === undefined ? null : clone(body, "The body")]);
    };
  }

  // ---- pure helpers (R4) ----------------------------------------------------------

  function realType(value) {
    if (value === null) return "null";
    if (isArray(value)) return "array";
    if (value instanceof Date) return "date";
    return typeof value;
  }

  // The differences from lhs to rhs as the deep-diff library reports them:
  // [{kind: "N"|"D"|"E"|"A", path, lhs, rhs, index, item}], or undefined.
  function deepDiff(lhs, rhs) {
    const changes = [];
    function change(kind, path, values) {
      const c = { kind: kind };
      if (path.length) c.path = path;
      for (const k of keys(values)) c[k] = values[k];
      return c;
    }
    function walk(l, r, path) {
      const lt = typeof l;
      const rt = typeof r;
      if (lt === "undefined" && rt !== "undefined") {
        changes[changes.length] = change("N", path, { rhs: r });
      } else if (rt === "undefined" && lt !== "undefined") {
        changes[changes.length] = change("D", path, { lhs: l });
      } else if (realType(l) !== realType(r)) {
        changes[changes.length] = change("E", path, { lhs: l, rhs: r });
      } else if (realType(l) === "date") {
        if (l.getTime() !== r.getTime()) changes[changes.length] = change("E", path, { lhs: l, rhs: r });
      } else if (realType(l) === "array") {
        let i = 0;
        for (; i < l.length; i++) {
          if (i >= r.length) {
            changes[changes.length] = change("A", path, { index: i, item: { kind: "D", lhs: l[i] } });
          } else {
            walk(l[i], r[i], path.concat([i]));
          }
        }
        for (; i < r.length; i++) {
          changes[changes.length] = change("A", path, { index: i, item: { kind: "N", rhs: r[i] } });
        }
      } else if (lt === "object" && l !== null) {
        const lk = keys(l);
        for (const k of lk) {
          if (hasOwn.call(r, k)) walk(l[k], r[k], path.concat([k]));
          else changes[changes.length] = change("D", path.concat([k]), { lhs: l[k] });
        }
        for (const k of keys(r)) {
          if (!hasOwn.call(l, k)) changes[changes.length] = change("N", path.concat([k]), { rhs: r[k] });
        }
      } else if (l !== r && !(lt === "number" && l !== l && r !== r)) {
        changes[changes.length] = change("E", path, { lhs: l, rhs: r });
      }
    }
    walk(lhs, rhs, []);
    return changes.length ? changes : undefined;
  }

  // getPropertyValue(obj, ".a.b[0].c"): the value there, or undefined.
  function getPropertyValue(obj, path) {
    if (typeof path !== "string") throw new TypeError("$.getPropertyValue(obj, path) takes a path such as '.a.b'");
    const parts = path.replace(/\[(\d+)\]/g, ".$1").split(".").filter((p) => p !== "");
    let value = obj;
    for (const part of parts) {
      if (value === null || value === undefined) return undefined;
      value = value[part];
    }
    return value;
  }

  // ---- JSON Patch (RFC 6902) for $.patchObject ------------------------------------

  function pointer(path, index) {
    if (path === "") return [];
    if (typeof path !== "string" || path[0] !== "/") {
      throw new Error("Operation " + index + ": path must be a JSON Pointer such as '/a/b', got " + text(path));
    }
    return path.slice(1).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  }

  function parentOf(doc, parts, index, path) {
    let node = doc;
    for (let i = 0; i < parts.length - 1; i++) {
      if (node === null || typeof node !== "object" || !hasOwn.call(node, parts[i])) {
        throw new Error("Operation " + index + ": path '" + path + "' does not exist");
      }
      node = node[parts[i]];
    }
    if (node === null || typeof node !== "object") {
      throw new Error("Operation " + index + ": path '" + path + "' does not exist");
    }
    return node;
  }

  function arrayIndex(node, key, index, path, adding) {
    const n = key === "-" && adding ? node.length : Number(key);
    if (!/^(0|[1-9][0-9]*)$/.test(key) && !(key === "-" && adding)) {
      throw new Error("Operation " + index + ": '" + key + "' is not an array index (" + path + ")");
    }
    if (n > node.length || (!adding && n >= node.length)) {
      throw new Error("Operation " + index + ": index " + key + " is out of bounds (" + path + ")");
    }
    return n;
  }

  function read(doc, path, index) {
    const parts = pointer(path, index);
    if (!parts.length) return doc;
    const node = parentOf(doc, parts, index, path);
    const key = parts[parts.length - 1];
    if (isArray(node)) return node[arrayIndex(node, key, index, path, false)];
    if (!hasOwn.call(node, key)) throw new Error("Operation " + index + ": path '" + path + "' does not exist");
    return node[key];
  }

  function applyOp(doc, op, index) {
    if (op === null || typeof op !== "object") throw new TypeError("Operation " + index + " is not an object");
    const path = op.path;
    const parts = pointer(path, index);
    function put(target, value) {
      const tparts = pointer(target, index);
      if (!tparts.length) return value;
      const node = parentOf(doc, tparts, index, target);
      const key = tparts[tparts.length - 1];
      if (isArray(node)) node.splice(arrayIndex(node, key, index, target, true), 0, value);
      else node[key] = value;
      return doc;
    }
    function remove(target) {
      const tparts = pointer(target, index);
      if (!tparts.length) return undefined;
      const node = parentOf(doc, tparts, index, target);
      const key = tparts[tparts.length - 1];
      if (isArray(node)) return node.splice(arrayIndex(node, key, index, target, false), 1)[0];
      if (!hasOwn.call(node, key)) throw new Error("Operation " + index + ": path '" + target + "' does not exist");
      const old = node[key];
      delete node[key];
      return old;
    }
    switch (op.op) {
      case "add":
        return put(path, clone(op.value, "Operation " + index + "'s value"));
      case "remove":
        read(doc, path, index);
        if (!parts.length) return null;
        remove(path);
        return doc;
      case "replace":
        read(doc, path, index);
        if (!parts.length) return clone(op.value, "Operation " + index + "'s value");
        remove(path);
        return put(path, clone(op.value, "Operation " + index + "'s value"));
      case "move": {
        const value = read(doc, op.from, index);
        if (typeof op.from === "string" && path.indexOf(op.from + "/") === 0) {
          throw new Error("Operation " + index + ": cannot move '" + op.from + "' into itself");
        }
        remove(op.from);
        return put(path, value);
      }
      case "copy":
        return put(path, clone(read(doc, op.from, index), "The copied value"));
      case "test":
        if (stringify(read(doc, path, index)) !== stringify(op.value)) {
          throw new Error("Operation " + index + ": test failed at '" + path + "'");
        }
        return doc;
      default:
        throw new Error("Operation " + index + ": unknown op " + text(op.op));
    }
  }

  // Apply a JSON Patch to obj (in place, as fast-json-patch does); return it.
  function patchObject(obj, ops) {
    if (!isArray(ops)) throw new TypeError("$.patchObject(obj, ops) takes a JSON Patch, an array of operations");
    let doc = obj;
    for (let i = 0; i < ops.length; i++) doc = applyOp(doc, ops[i], i);
    return doc;
  }

  // ---- running a body ---------------------------------------------------------------

  function setGlobal(name, value) {
    defineProperty(g, name, { value: value, writable: true, configurable: true, enumerable: false });
  }

  function isThenable(v) {
    return v !== null && (typeof v === "object" || typeof v === "function") &&
      typeof v.then === "function";
  }

  // Drive a body to its end: `yield x` gives back x's value, awaited. A body
  // that is an async generator (its source says `await`) settles in a
  // Promise. A plain generator's body runs here, synchronously, until it
  // yields a Promise: from there on it is driven asynchronously, a yielded
  // Promise's rejection thrown into the body where it yielded it, as an async
  // generator's `yield` does (engine/context.py, generator_of).
  function drive(iterator) {
    if (typeof iterator[Symbol.asyncIterator] === "function") return driveAsync(iterator);
    let step = iterator.next();
    while (!step.done) {
      if (isThenable(step.value)) return resume(iterator, settle(step.value));
      step = iterator.next(step.value);
    }
    return step.value;  // a returned Promise: run() awaits it
  }

  async function driveAsync(iterator) {
    let step = await iterator.next();
    while (!step.done) step = await iterator.next(step.value);
    return step.value;
  }

  async function resume(iterator, pending) {
    let step;
    for (;;) {
      try {
        step = iterator.next(await pending);
      } catch (e) {
        if (!(e instanceof PendingRejected)) throw e;
        step = iterator.throw(e.reason);
      }
      while (!step.done && !isThenable(step.value)) step = iterator.next(step.value);
      if (step.done) return step.value;
      pending = settle(step.value);
    }
  }

  function settle(thenable) {
    return Promise.resolve(thenable).then(undefined, (reason) => {
      throw new PendingRejected(reason);
    });
  }

  // A yielded Promise's rejection, told apart from an error the body threw.
  function PendingRejected(reason) { this.reason = reason; }

  function run(context) {
    const p = (context && context.meta && context.meta.predix) || {};
    const st = predix();
    st.phase = p.phase || null;
    st.method = p.method || null;
    setGlobal("o", p.o === undefined ? null : p.o);
    setGlobal("parameters", p.parameters || {});
    setGlobal("current", p.current === undefined ? null : p.current);
    const body = api.handler("__predixBody");
    if (!body) throw new Error("This script has no @execution header: it is not a Predix script");
    const returned = drive(body());
    // A body that never waited answers in this engine call; else a Promise.
    return isThenable(returned)
      ? Promise.resolve(returned).then((value) => result(st, value))
      : result(st, returned);
  }

  function result(st, returned) {
    return {
      cancels: st.cancels,
      messages: st.messages,
      entity: st.entity === undefined ? null : st.entity,
      updated: st.entity !== undefined,
      removed: st.removed,
      ops: st.ops === undefined ? null : st.ops,
      response: st.response === undefined ? null : st.response,
      returned: returned === undefined ? null : returned,
    };
  }

  api.define("$", {
    cancelRequest: cancelRequest,
    deepDiff: deepDiff,
    get: get,
    post: writer("POST", "$.post"),
    put: writer("PUT", "$.put"),
    patch: writer("PATCH", "$.patch"),
    del: writer("DELETE", "$.del"),
    getPropertyValue: getPropertyValue,
    log: log,
    patchObject: patchObject,
    removeEntity: removeEntity,
    updateEntity: updateEntity,
    updateBody: updateBody,
    setResponse: setResponse,
    uuid: { v1: uuid.v1, v4: uuid.v4 },
  });
  api.define("__predixRun", run);
})
