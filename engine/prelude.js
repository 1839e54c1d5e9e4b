// The scripthost prelude: everything a script can use that needs no I/O (R4).
// It runs once in every fresh context, after sandbox.js and before the script's
// own source; context.py calls this function expression with the sandbox handle.
// The host talks to it only through __sh.invoke / __sh.collect / __sh.load, each
// taking and returning one JSON string (R3); the script's host calls (R6) go the
// other way, synchronously, through the sandbox's channel (see callHost below).
// __sh is on the global object, so every entry point takes the context's token,
// which only the host knows: a script can see __sh but not use it to widen a
// limit or to speak for the host. Whatever the script does to the built-ins, the
// host protocol uses the copies taken here.
(function (g, sandbox) {
  "use strict";

  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const now = Date.now;
  const indirectEval = eval;
  const hasOwn = Object.prototype.hasOwnProperty;
  const defineProperty = Object.defineProperty;
  const ObjectProto = Object.prototype;
  const ArrayProto = Array.prototype;
  const join = Array.prototype.join;
  const split = String.prototype.split;
  const ErrorClass = Error;
  const TypeErrorClass = TypeError;
  const RangeErrorClass = RangeError;
  const strSlice = String.prototype.slice;
  const fromCharCode = String.fromCharCode;
  const charCodeAt = String.prototype.charCodeAt;
  const apply = Reflect.apply;
  const atomicLoad = Atomics.load;
  const atomicStore = Atomics.store;
  const atomicWait = Atomics.wait;
  const atomicPause = Atomics.pause || (() => undefined);

  const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
  const REQUEST_FIELDS = [
    "method", "path", "query", "form", "headers", "body", "params", "auth",
  ];
  const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const PARAM_SEGMENT = /^:[A-Za-z_][A-Za-z0-9_]*$/;
  const LITERAL_SEGMENT = /^[A-Za-z0-9._~!$&'()+,;=@%-]*$/;

  // Caps the host sets once (__sh.setup); the host enforces the log caps again
  // on what it receives. The two size caps keep data from leaving V8 before
  // the host copies it: the reply of one engine call (the response, logs and
  // buffered writes) and the arguments of one host call, in UTF-16 units.
  const config = {
    maxLogs: 1000,
    maxLogChars: 8192,
    maxOutputChars: 33554432,
    maxHostCallChars: 16777216,
  };
  // Registrations belong to the context (made while it loads); everything else
  // belongs to one invocation. Invocations of one context interleave while they
  // wait for host calls, so each has its own state, kept in `running` by the id
  // the host gave it. `state` is the one whose engine call is running now; its
  // promise reactions run right after that call, before the next one starts.
  // Kinds other than routes belong to API modules (api.registrations(kind)).
  const registrations = Object.create(null);
  registrations.routes = [];
  const registrationErrors = [];
  // What modules add at load: path claimers by kind (api.claimPaths), checks
  // run once the script has loaded (api.checkAtLoad), and members of the
  // prelude's objects they contribute (api.contribute), by object and name.
  const claimers = Object.create(null);
  const loadChecks = [];
  const contributed = Object.create(null);
  const running = Object.create(null);
  const overridden = Object.create(null);
  const provided = Object.create(null);
  const providers = Object.create(null);
  let pendingSeed = null;

  function newState(phase, id) {
    return {
      id: id,
      phase: phase, // "load" while top level and init() run, then "invoke"
      logs: [],
      droppedLogs: 0,
      effects: [],
      registrations: registrations,
      registrationErrors: registrationErrors,
      request: null,
      settled: null,
      held: 0, // promises the invocation must see settle (api.hold) before it ends
      began: now(),
      scratch: {},
      context: null,
    };
  }

  // The load (top level and init) is invocation 0.
  let state = newState("load", 0);
  running[0] = state;

  // ---- stacks -----------------------------------------------------------------------

  // Frames of the prelude, of the host's calls into it and of built-ins all say
  // <anonymous>; users see only frames of their own source.
  const PRELUDE_FRAME = /^\s*at .*<anonymous>/;

  function cleanStack(stack) {
    const lines = split.call(String(stack), "\n");
    const keep = [];
    for (let i = 0; i < lines.length; i++) {
      if (!PRELUDE_FRAME.test(lines[i])) keep[keep.length] = lines[i];
    }
    return join.call(keep, "\n");
  }

  // ---- console (buffered, returned with the result) -------------------------

  function show(value) {
    if (typeof value === "string") return value;
    if (value instanceof ErrorClass) {
      return value.stack ? cleanStack(value.stack) : String(value);
    }
    if (value === undefined) return "undefined";
    if (typeof value === "function") return "[Function " + (value.name || "anonymous") + "]";
    if (typeof value === "bigint") return value.toString() + "n";
    if (typeof value === "symbol") return value.toString();
    try {
      const text = stringify(value);
      return text === undefined ? String(value) : text;
    } catch (e) {
      return String(value);
    }
  }

  // IOTA's console.log("User action", {user_id: 7}): a last argument that is
  // a plain object (made by {} or Object.create(null)), after at least one
  // other, is the entry's structured `fields`, not part of its message. Its
  // JSON must fit in maxLogChars; else it is shown in the message as before.
  function fieldsOf(args) {
    const n = args.length;
    if (n < 2) return null;
    const last = args[n - 1];
    if (last === null || typeof last !== "object") return null;
    const proto = Object.getPrototypeOf(last);
    if (proto !== ObjectProto && proto !== null) return null;
    try {
      const text = stringify(last);
      if (text === undefined || text.length > config.maxLogChars) return null;
      return parse(text); // a copy: later changes to the object do not show
    } catch (e) {
      return null; // a cycle or a BigInt: shown in the message instead
    }
  }

  function logAt(level) {
    return function () {
      if (state.logs.length >= config.maxLogs) {
        state.droppedLogs += 1;
        return;
      }
      const fields = fieldsOf(arguments);
      const shown = fields === null ? arguments.length : arguments.length - 1;
      const parts = [];
      for (let i = 0; i < shown; i++) parts[i] = show(arguments[i]);
      let message = join.call(parts, " ");
      if (message.length > config.maxLogChars) {
        message = apply(strSlice, message, [0, config.maxLogChars]) + "... [truncated]";
      }
      const entry = { level: level, message: message, time: now() };
      if (fields !== null) entry.fields = fields;
      state.logs[state.logs.length] = entry;
    };
  }

  const levels = {
    LOG: logAt("LOG"),
    INFO: logAt("INFO"),
    WARN: logAt("WARN"),
    ERROR: logAt("ERROR"),
    DEBUG: logAt("DEBUG"),
  };
  const console = {
    log: levels.LOG,
    info: levels.INFO,
    warn: levels.WARN,
    error: levels.ERROR,
    debug: levels.DEBUG,
  };

  // ---- route registry ----------------------------------------------------------

  function registrationError(message) {
    // Only load-time errors are reported with the registrations; later ones
    // would pile up in a warm context, so the caller just gets the string.
    if (state.phase === "load") {
      state.registrationErrors[state.registrationErrors.length] = message;
    }
    return "Error: " + message;
  }

  function checkRoutePath(path) {
    if (typeof path !== "string" || path.length === 0) return "path must be a non-empty string";
    if (path[0] !== "/") return "path must start with '/': " + path;
    if (path.length > 200) return "path is longer than 200 characters";
    if (path.indexOf("?") >= 0 || path.indexOf("#") >= 0) {
      return "path must not contain '?' or '#': " + path;
    }
    const segments = path.split("/").slice(1);
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i];
      if (s === "*") {
        if (i !== segments.length - 1) return "'*' is only allowed as the last segment: " + path;
      } else if (s[0] === ":") {
        if (!PARAM_SEGMENT.test(s)) return "invalid path parameter '" + s + "' in " + path;
      } else if (!LITERAL_SEGMENT.test(s) || s === "." || s === "..") {
        return "invalid path segment '" + s + "' in " + path;
      }
    }
    return null;
  }

  // Which of the script's registrations hold `path` for one of `methods`
  // (null: every method), other than those of `kind`: "path ... is already
  // <what> in this script", or null when it is free.
  function pathTaken(kind, path, methods) {
    const kinds = Object.keys(claimers);
    for (let k = 0; k < kinds.length; k++) {
      if (kinds[k] === kind) continue;
      const list = registrations[kinds[k]] || [];
      for (let i = 0; i < list.length; i++) {
        const claim = claimers[kinds[k]](list[i]);
        if (claim.path !== path) continue;
        const overlap = methods === null || claim.methods === null ||
          methods.some((m) => claim.methods.indexOf(m) >= 0);
        if (overlap) return "path " + path + " is already " + claim.what + " in this script";
      }
    }
    return null;
  }
  claimers.routes = (r) => ({ path: r.path, methods: [r.method], what: "a " + r.method + " route" });

  const routeRegistry = {
    registerRoute(path, handlerName, method) {
      if (state.phase !== "load") {
        return registrationError("routes can only be registered at top level or in init()");
      }
      const problem = checkRoutePath(path);
      if (problem) return registrationError(problem);
      if (typeof handlerName !== "string" || !IDENTIFIER.test(handlerName)) {
        return registrationError("handler name must be a function name, got " + show(handlerName));
      }
      const m = (method === undefined ? "GET" : String(method)).toUpperCase();
      if (METHODS.indexOf(m) < 0) {
        return registrationError("unsupported method '" + m + "' (use one of " + METHODS.join(", ") + ")");
      }
      const taken = pathTaken("routes", path, m === "GET" || m === "HEAD" ? ["GET", "HEAD"] : [m]);
      if (taken) return registrationError(taken);
      const routes = state.registrations.routes;
      const same = routes.find((r) => r.path === path && r.method === m);
      if (same) {
        same.handler = handlerName;
      } else {
        routes[routes.length] = { path: path, method: m, handler: handlerName };
      }
      return "Route registered: " + m + " " + path + " -> " + handlerName;
    },
    listRoutes() {
      return stringify(state.registrations.routes);
    },
  };

  // ---- the reference implementation's first API (Oct 2025) -------------------
  // Before routeRegistry and console, its scripts called register(path,
  // handler, method = "GET") and writeLog(message); its sample scripts
  // (helloworld.js) pass the handler itself. Both are kept as thin aliases.
  // A handler given as a function gets a hidden global name, numbered in
  // registration order: every context of the script runs the same top level,
  // so the same function gets the same name in each.
  let registeredFunctions = 0;

  function register(path, handler, method) {
    let name = handler;
    if (typeof handler === "function") {
      if (state.phase !== "load") {
        return registrationError("routes can only be registered at top level or in init()");
      }
      if (IDENTIFIER.test(handler.name) && lookup(handler.name) === handler) {
        name = handler.name;
      } else {
        name = "__register_" + registeredFunctions++;
        defineProperty(g, name, { value: handler, writable: true, configurable: true, enumerable: false });
      }
    }
    return routeRegistry.registerRoute(path, name, method);
  }

  function writeLog(message) {
    levels.LOG(message);
  }

  // The prelude's objects API modules may add members to (api.contribute).
  const extensible = { routeRegistry: routeRegistry, console: console };

  // ---- responses -------------------------------------------------------------

  const TEXT = "text/plain; charset=UTF-8";
  const ResponseBuilder = {
    json(data, status) {
      return { status: status === undefined ? 200 : status, body: JSON.stringify(data), contentType: "application/json" };
    },
    text(text, status) {
      return { status: status === undefined ? 200 : status, body: String(text), contentType: TEXT };
    },
    html(html, status) {
      return { status: status === undefined ? 200 : status, body: String(html), contentType: "text/html; charset=UTF-8" };
    },
    error(status, message) {
      return { status: status, body: JSON.stringify({ error: message }), contentType: "application/json" };
    },
    noContent() {
      return { status: 204, body: "", contentType: TEXT };
    },
    redirect(url, status) {
      return { status: status === undefined ? 302 : status, body: "", headers: { Location: String(url) } };
    },
  };

  // ---- validation helpers ------------------------------------------------------

  function currentRequest() {
    if (!state.request) throw new Error("No request is being handled");
    return state.request;
  }

  function present(value) {
    return value !== undefined && value !== null && String(value).length > 0;
  }

  function requireQueryParam(paramName) {
    const value = (currentRequest().query || {})[paramName];
    if (!present(value)) throw new Error("Missing required query parameter: " + paramName);
    return String(value);
  }

  function requirePathParam(paramName) {
    const value = (currentRequest().params || {})[paramName];
    if (!present(value)) throw new Error("Missing required path parameter: " + paramName);
    return String(value);
  }

  function optionalQueryParam(paramName, defaultValue) {
    const value = (currentRequest().query || {})[paramName];
    return present(value) ? value : defaultValue;
  }

  function validateString(value, minLength, maxLength) {
    const min = minLength === undefined ? 0 : minLength;
    const max = maxLength === undefined ? Infinity : maxLength;
    if (typeof value !== "string") throw new Error("Value must be a string");
    if (value.length < min) throw new Error("String must be at least " + min + " characters long");
    if (value.length > max) throw new Error("String must be at most " + max + " characters long");
    return value;
  }

  function validateNumber(value, min, max) {
    const n = typeof value === "number" ? value : Number(value);
    if (value === null || value === undefined || value === "" || Number.isNaN(n)) {
      throw new Error("Value must be a valid number");
    }
    if (min !== undefined && min !== null && n < min) throw new Error("Number must be at least " + min);
    if (max !== undefined && max !== null && n > max) throw new Error("Number must be at most " + max);
    return n;
  }

  function requestOf(context) {
    return (context && (context.request || context)) || currentRequest();
  }

  const validate = {
    requireQueryParam(context, paramName) {
      const value = (requestOf(context).query || {})[paramName];
      if (!present(value)) throw new Error("Missing required query parameter: " + paramName);
      return String(value);
    },
    requirePathParam(context, paramName) {
      const value = (requestOf(context).params || {})[paramName];
      if (!present(value)) throw new Error("Missing required path parameter: " + paramName);
      return String(value);
    },
    validateString(value, options) {
      const o = options || {};
      validateString(value, o.minLength, o.maxLength);
      if (o.pattern !== undefined) {
        const re = o.pattern instanceof RegExp ? o.pattern : new RegExp(o.pattern);
        // A /g or /y pattern remembers where it stopped; every call starts afresh.
        re.lastIndex = 0;
        if (!re.test(value)) throw new Error("String does not match pattern " + re);
      }
      return value;
    },
    validateNumber(value, options) {
      const o = options || {};
      return validateNumber(value, o.min, o.max);
    },
  };

  // ---- the host interface --------------------------------------------------------

  function errorInfo(e) {
    try {
      if (e instanceof ErrorClass) {
        return {
          name: String(e.name),
          message: String(e.message),
          stack: cleanStack(e.stack || String(e)),
        };
      }
      // A thrown string or object has no stack; say plainly what was thrown.
      return { name: "", message: "Uncaught " + show(e), stack: "" };
    } catch (unreadable) {
      return failure("", "Uncaught exception whose details could not be read");
    }
  }

  function lookup(name) {
    if (hasOwn.call(g, name)) {
      const fn = g[name];
      return typeof fn === "function" ? fn : null;
    }
    if (!IDENTIFIER.test(name)) return null;
    // const/let/class declarations live in the global lexical scope, not on
    // globalThis; an indirect eval of a checked identifier reaches them.
    let fn;
    try {
      fn = indirectEval(name);
    } catch (e) {
      return null;
    }
    // ...and so do the global object's inherited methods (toString and the
    // like), which are not the script's handlers.
    if (fn === ObjectProto[name]) return null;
    return typeof fn === "function" ? fn : null;
  }

  const FORGERY =
    '{"state":"done","error":{"name":"TypeError","message":' +
    '"Object.prototype.toJSON and Array.prototype.toJSON must not be defined","stack":""}}';

  function failure(name, message) {
    return { name: name, message: message, stack: "" };
  }

  function finish(outcome) {
    // ms the call ran in V8 (not counting a wait behind other calls), for
    // the pool's choice of contexts (engine/pool.py).
    const out = { state: "done", logs: state.logs, effects: state.effects, ran: now() - state.began };
    if (state.droppedLogs) out.droppedLogs = state.droppedLogs;
    if (sandbox.memory.exceeded) {
      // Even if the script caught the RangeError, the call is over its limit.
      out.error = failure("MemoryLimit", "ArrayBuffer memory");
    } else if (outcome.error) {
      out.error = outcome.error;
    } else {
      out.value = outcome.value === undefined ? null : outcome.value;
    }
    if (state.phase === "load") {
      // A route to a missing function would only fail at request time; say so now.
      // Such a route is dropped (a registration that fails registers nothing)
      // and reported with the other registration problems, as a warning.
      const routes = state.registrations.routes;
      const served = [];
      for (let i = 0; i < routes.length; i++) {
        if (lookup(routes[i].handler)) {
          served[served.length] = routes[i];
        } else {
          registrationError("route " + routes[i].method + " " + routes[i].path +
            " names handler '" + routes[i].handler + "', which is not a function in this script");
        }
      }
      state.registrations.routes = served;
      for (let i = 0; i < loadChecks.length; i++) loadChecks[i]();
      out.registrations = state.registrations;
      out.registrationErrors = state.registrationErrors;
    }
    if (sandbox.memory.pressing) out.gc = true;
    state.request = null;
    state.context = null;
    state.settled = null;
    delete running[state.id];
    // A toJSON on these prototypes would let a script rewrite the whole reply,
    // registrations included.
    if (hasOwn.call(ObjectProto, "toJSON") || hasOwn.call(ArrayProto, "toJSON")) {
      return FORGERY; // written out by hand: stringify would call the toJSON
    }
    let text;
    try {
      text = stringify(out);
    } catch (e) {
      delete out.value;
      out.error = failure("TypeError", "The result could not be converted to JSON: " + e.message);
      try {
        text = stringify(out);
      } catch (e2) {
        text = stringify({ state: "done", logs: state.logs, error: out.error });
      }
    }
    return text.length > config.maxOutputChars ? tooLarge(out, text.length) : text;
  }

  function megabytes(units) {
    return String(Math.round(units / 104857.6) / 10) + " MB";
  }

  // The reply is over config.maxOutputChars: answer an error instead, with the
  // logs if they fit (each is capped, so they nearly always do).
  function tooLarge(out, size) {
    const error = failure(
      "OutputLimit",
      "The invocation's output (its response and buffered writes) is " + megabytes(size) +
        " of JSON, over the limit of " + megabytes(config.maxOutputChars),
    );
    const reply = { state: "done", logs: out.logs, error: error };
    if (out.droppedLogs) reply.droppedLogs = out.droppedLogs;
    const text = stringify(reply);
    if (text.length <= config.maxOutputChars) return text;
    return stringify({
      state: "done",
      logs: [],
      droppedLogs: (out.droppedLogs || 0) + out.logs.length,
      error: error,
    });
  }

  function begin(phase, id) {
    state = newState(phase, id);
    running[id] = state;
    sandbox.memory.begin();
  }

  // Make invocation `id` the current one; false if the host named no running one.
  function enter(id) {
    const found = running[id];
    if (found === undefined) return false;
    state = found;
    return true;
  }

  function unknown(id) {
    return stringify({
      state: "done",
      logs: [],
      error: failure("EngineError", "No running invocation " + id),
    });
  }

  // Run fn(context). A plain value finishes now (one engine call); a Promise
  // settles in the microtasks V8 runs right after this call, so the host then
  // collects it with a second call.
  function run(fn, context) {
    let result;
    try {
      result = fn(context);
    } catch (e) {
      return finish({ error: errorInfo(e) });
    }
    if (result !== null && typeof result === "object" && typeof result.then === "function") {
      const st = state;
      result.then(
        (v) => { st.settled = { value: v }; },
        (e) => { st.settled = { error: errorInfo(e) }; },
      );
    } else {
      state.settled = { value: result };
    }
    return step();
  }

  // "done" once the handler settled, else "pending" (its microtasks have yet
  // to run). Host calls return before the script goes on, so none is ever left
  // outstanding (R7).
  function step() {
    if (state.settled !== null && state.held === 0) return finish(state.settled);
    return '{"state":"pending"}';
  }

  // ---- host calls (R6): synchronous, through the sandbox's SharedArrayBuffer ----------
  //
  // The script's thread writes the request into the buffer, sends the host a
  // notification that carries no JS value, and waits with Atomics.wait, in short
  // growing steps, until the host has written the answer and set the ready flag
  // (engine/context.py, _Channel, has the layout). A request or an answer longer
  // than the buffer goes in chunks. The host never calls into the isolate while
  // the script waits, and the time limit stops a script blocked here.

  const HEAD_READY = 0; // 0 while the host works; the host sets 1 when it answered
  const HEAD_LENGTH = 1; // code units in the data area
  const HEAD_COMMAND = 2; // what the script asks (below)
  const HEAD_MORE = 3; // 1 when more chunks of the answer follow
  const HEAD_SLOW = 4; // the host sets 1 when the answer waits for I/O
  const ASK_CALL = 0; // the data ends a request: perform it
  const ASK_MORE = 1; // a chunk of a request; more follow
  const ASK_NEXT = 2; // the next chunk of the answer, please
  const ASK_MODULE = 3; // the source of the API module numbered in the length field
  // The host answers a cached read in tens of microseconds, but a thread that
  // sleeps in Atomics.wait wakes up no sooner than the kernel's timer slack
  // (about 50 µs): spin first (at most about 100 µs), until the answer or
  // the host's word that it waits for I/O, then sleep in growing steps, so a
  // slow call (a query, a fetch) costs little CPU.
  const SPIN = 3000;
  const WAIT_FIRST_MS = 0.004;
  const WAIT_LONGEST_MS = 0.5;
  const channel = sandbox.channel;
  let channelHanded = false;
  let notify = null; // the host's notification, set once by __sh.attach
  let pendingDeclarations = null; // api.whenAttached

  function exchange(command) {
    const head = channel.head;
    atomicStore(head, HEAD_COMMAND, command);
    atomicStore(head, HEAD_SLOW, 0);
    atomicStore(head, HEAD_READY, 0);
    notify(0);
    for (let spin = 0; spin < SPIN && atomicLoad(head, HEAD_SLOW) === 0; spin++) {
      if (atomicLoad(head, HEAD_READY) !== 0) return;
      atomicPause();
    }
    let pause = WAIT_FIRST_MS;
    while (atomicLoad(head, HEAD_READY) === 0) {
      atomicWait(head, HEAD_READY, 0, pause);
      if (pause < WAIT_LONGEST_MS) pause *= 2;
    }
  }

  // The text of `n` character codes of a typed array from index `from`.
  function textOf(codes, from, n) {
    let text = "";
    const part = [];
    for (let at = 0; at < n; at += 4096) {
      const end = at + 4096 < n ? at + 4096 : n;
      part.length = end - at;
      for (let i = at; i < end; i++) part[i - at] = codes[from + i];
      text += apply(fromCharCode, null, part);
    }
    return text;
  }

  function readChunk() {
    return textOf(channel.data, 0, atomicLoad(channel.head, HEAD_LENGTH));
  }

  // An engine call's argument: as given, or, when the host gives -1 - k, the
  // text it left in inbox slot k (the slot is then free again). So the code
  // of the host's calls never changes, and V8 compiles it once.
  function fromInbox(arg) {
    if (typeof arg !== "number" || arg >= 0) return arg;
    const slot = -1 - arg;
    if (slot >= channel.inboxSlots) throw new ErrorClass("No such inbox slot");
    const n = atomicLoad(channel.inboxLengths, slot);
    const text = textOf(channel.inbox, slot * channel.inboxSlotBytes, n);
    atomicStore(channel.inboxLengths, slot, 0);
    return text;
  }

  // The source of API module number `index` (api.lazy), read from the host
  // through the channel: it answers at once, without an invocation.
  function moduleSource(index) {
    if (notify === null) throw new ErrorClass("An API module was used before the host was attached");
    atomicStore(channel.head, HEAD_LENGTH, index);
    exchange(ASK_MODULE);
    let text = readChunk();
    while (atomicLoad(channel.head, HEAD_MORE) === 1) {
      exchange(ASK_NEXT);
      text += readChunk();
    }
    return text;
  }

  // Send [invocation, op, args] to the host; return its parsed answer.
  function callHost(op, argsJson) {
    const text = "[" + state.id + "," + stringify(op) + "," + argsJson + "]";
    const data = channel.data;
    const units = channel.units;
    let at = 0;
    for (;;) {
      const n = text.length - at < units ? text.length - at : units;
      for (let i = 0; i < n; i++) data[i] = apply(charCodeAt, text, [at + i]);
      at += n;
      atomicStore(channel.head, HEAD_LENGTH, n);
      if (at >= text.length) break;
      exchange(ASK_MORE);
    }
    exchange(ASK_CALL);
    let answer = readChunk();
    while (atomicLoad(channel.head, HEAD_MORE) === 1) {
      exchange(ASK_NEXT);
      answer += readChunk();
    }
    return parse(answer);
  }

  // The private handle API modules (engine/api/*.js) get; never reachable from scripts.
  const api = {
    // Ask the host to do op(args) and return its answer, or throw its error (R6).
    call(op, args) {
      let argsJson;
      try {
        argsJson = stringify(args === undefined ? [] : args);
      } catch (e) {
        throw new TypeErrorClass(op + ": arguments are not JSON-serialisable");
      }
      if (argsJson === undefined) throw new TypeErrorClass(op + ": arguments are not JSON data");
      if (argsJson.length > config.maxHostCallChars) {
        throw new RangeErrorClass(
          op + ": its arguments are " + megabytes(argsJson.length) +
            " of JSON, over the limit of " + megabytes(config.maxHostCallChars) + " for one call",
        );
      }
      if (notify === null) throw new ErrorClass(op + " is not available here");
      const reply = callHost(op, argsJson);
      if (reply.ok) return reply.value;
      const err = reply.error || {};
      const e = new ErrorClass(err.message ? err.message : op + " failed");
      if (err.name) e.name = err.name;
      throw e;
    },
    // Keep the invocation open until `promise` settles (R7): say, an async
    // listener run inside it, whose rest runs in the microtasks after the
    // handler returned.
    hold(promise) {
      const st = state;
      st.held += 1;
      const release = () => {
        st.held -= 1;
      };
      promise.then(release, release);
    },
    // The script's function `name` (a handler, a listener), or null.
    handler(name) {
      return typeof name === "string" ? lookup(name) : null;
    },
    // Record an effect the host applies only if the invocation succeeds (R5).
    effect(kind, data) {
      state.effects[state.effects.length] = { kind: kind, data: data };
    },
    // A per-invocation object modules use for read-your-writes overlays.
    scratch() {
      return state.scratch;
    },
    phase() {
      return state.phase;
    },
    // The list of registrations of one kind ("listeners", ...), made at load.
    registrations(kind) {
      const all = state.registrations;
      return all[kind] || (all[kind] = []);
    },
    // Say which paths registrations of `kind` hold: claim(entry) returns
    // {path, methods (null: all), what ("a stream")}. Registrations of other
    // kinds may not take the same path and method in this script.
    claimPaths(kind, claim) {
      claimers[kind] = claim;
    },
    // "path ... is already ... in this script", or null (see claimPaths).
    pathTaken(kind, path, methods) {
      return pathTaken(kind, path, methods);
    },
    // The problem with a route path, or null (as registerRoute checks it).
    checkPath(path) {
      return checkRoutePath(path);
    },
    // Run check() once the script has loaded (say, that handlers exist).
    checkAtLoad(check) {
      loadChecks[loadChecks.length] = check;
    },
    // Add members to one of the prelude's objects (routeRegistry): they
    // appear on it, frozen as it is, and install the module on first use.
    contribute(objectName, members) {
      const table = contributed[objectName] || (contributed[objectName] = Object.create(null));
      const names = Object.keys(members);
      for (let i = 0; i < names.length; i++) table[names[i]] = members[names[i]];
    },
    // Report a registration problem (load time) and return the "Error: ..." string.
    registrationError(message) {
      return registrationError(message);
    },
    // A value as console.log would show it.
    show(value) {
      return show(value);
    },
    // Log as console.error and the like do, whatever the script did to console.
    log(level, message) {
      (levels[level] || console.log)(message);
    },
    request() {
      return state.request;
    },
    // The context the running handler received (for capabilities and the like).
    context() {
      return state.context;
    },
    define(name, value) {
      if (overridden[name] === true) return; // the script set it before first use
      defineProperty(g, name, { value: value, writable: true, configurable: true, enumerable: false });
    },
    // Hand a value to other modules without putting it on the global object.
    provide(name, value) {
      provided[name] = value;
    },
    // A value another module provides, installing that module if need be.
    need(name) {
      if (!hasOwn.call(provided, name) && providers[name] !== undefined) providers[name]();
      return provided[name];
    },
    // Install a module on first use of any global it defines (`names`) or of a
    // value it provides (`provides`): most scripts use few modules, and parsing
    // them all would cost every context. `source` is the module's function
    // expression, compiled only then, or its number: the host then hands it
    // over on first use (moduleSource), so that a context holds the text of
    // the modules its script uses only. A module that defines neither runs now.
    lazy(names, provides, source, contributions) {
      let installed = false;
      function install() {
        if (installed) return;
        installed = true;
        for (let i = 0; i < names.length; i++) {
          if (overridden[names[i]] !== true) delete g[names[i]];
        }
        const text = typeof source === "number" ? moduleSource(source) : source;
        indirectEval("(" + text + ")")(g, api);
      }
      const members = contributions || [];
      if (names.length === 0 && provides.length === 0 && members.length === 0) {
        install();
        return;
      }
      for (let i = 0; i < provides.length; i++) providers[provides[i]] = install;
      for (let i = 0; i < members.length; i++) {
        const objectName = members[i][0];
        const member = members[i][1];
        defineProperty(extensible[objectName], member, {
          get() {
            install();
            return contributed[objectName][member];
          },
          configurable: false,
          enumerable: true,
        });
      }
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        defineProperty(g, name, {
          get() {
            install();
            return g[name];
          },
          set(value) {
            // Assigned before first use: the script's value wins, now and later.
            overridden[name] = true;
            defineProperty(g, name, { value: value, writable: true, configurable: true, enumerable: false });
          },
          configurable: true,
          enumerable: false,
        });
      }
    },
    // Declare the API modules (`declare` calls lazy for each, then seal) once
    // the host is attached (__sh.declare, after __sh.attach), so that a module
    // installed at once may use one whose source the host hands over.
    whenAttached(declare) {
      pendingDeclarations = declare;
    },
    // Freeze the objects modules contribute to, once every module is declared.
    seal() {
      const names = Object.keys(extensible);
      for (let i = 0; i < names.length; i++) {
        // Scripts may still replace console.log and the like, as in a browser.
        if (extensible[names[i]] !== console) Object.freeze(extensible[names[i]]);
      }
    },
    // The host's entropy for the CSPRNG, handed over once (15_random.js).
    takeSeed() {
      const seed = pendingSeed;
      pendingSeed = null;
      return seed;
    },
  };

  function prepareContext(context) {
    const request = context.request;
    if (request) {
      for (let i = 0; i < REQUEST_FIELDS.length; i++) {
        const field = REQUEST_FIELDS[i];
        if (!hasOwn.call(context, field)) {
          // Defined, not assigned: a setter on Object.prototype must not see it.
          defineProperty(context, field, {
            value: request[field], writable: true, enumerable: true, configurable: true,
          });
        }
      }
    }
    state.request = request || null;
    state.context = context;
    return context;
  }

  // The host's entry points. setup() comes first, once, before the script's
  // source runs, and sets the token every later call must give.
  let hostToken = null;

  function checkToken(token) {
    if (hostToken === null || token !== hostToken) {
      throw new TypeErrorClass("__sh is the host's interface: scripts cannot call it");
    }
  }

  function configure(c) {
    const names = ["maxLogs", "maxLogChars", "maxOutputChars", "maxHostCallChars"];
    for (let i = 0; i < names.length; i++) {
      const value = c[names[i]];
      if (typeof value === "number" && value >= 0) config[names[i]] = value;
    }
  }

  const host = {
    // The token, the CSPRNG's key (hex), the caps (JSON) and the memory
    // budget for loading.
    setup(token, seed, configJson, memoryBytes) {
      if (hostToken !== null || typeof token !== "string" || token.length < 32) {
        throw new TypeErrorClass("__sh is the host's interface: scripts cannot call it");
      }
      hostToken = token;
      pendingSeed = seed;
      configure(parse(configJson));
      sandbox.memory.limit(memoryBytes);
      sandbox.memory.begin();
    },
    // Called once the script's top level has run: run init(context) if defined.
    load(token, json) {
      checkToken(token);
      const msg = parse(fromInbox(json));
      enter(0);
      const init = lookup("init");
      if (!init) return finish({ value: null });
      return run(init, prepareContext(msg.context || {}));
    },
    invoke(token, json) {
      checkToken(token);
      const msg = parse(fromInbox(json));
      begin("invoke", msg.id);
      sandbox.memory.limit(msg.memory);
      const fn = lookup(msg.handler);
      if (!fn) {
        return finish({
          error: {
            name: "HandlerNotFound",
            message: "Handler '" + msg.handler + "' is not a function in this script",
            stack: "",
          },
        });
      }
      return run(fn, prepareContext(msg.context || {}));
    },
    collect(token, id) {
      checkToken(token);
      if (typeof id === "number" && id < 0) id = parse(fromInbox(id));
      if (!enter(id)) return unknown(id);
      const reply = step();
      if (reply === '{"state":"pending"}') {
        return finish({
          error: failure(
            "UnsettledPromise",
            "The handler's promise never settled (nothing left to wait for)",
          ),
        });
      }
      return reply;
    },
    // Accept the host's notification function and hand the host the channel's
    // buffer, both once (later calls get null): one round trip for both.
    attach(token, fn) {
      checkToken(token);
      if (channelHanded || notify !== null || typeof fn !== "function") return null;
      channelHanded = true;
      notify = fn;
      return channel.buffer;
    },
    // Declare the API modules, once the host has wired the channel (attach).
    declare(token) {
      checkToken(token);
      const declare = pendingDeclarations;
      pendingDeclarations = null;
      if (declare !== null) declare();
      return 0;
    },
    // After a stop for time: hand back what was logged, run nothing.
    abort(token, id) {
      checkToken(token);
      if (!enter(id)) return stringify({ state: "done", logs: [] });
      delete running[id];
      return stringify({
        state: "done",
        logs: state.logs,
        droppedLogs: state.droppedLogs,
        memoryExceeded: sandbox.memory.exceeded,
      });
    },
    // Runs once the microtasks of every earlier call have run (V8 runs them
    // between engine calls): the host's proof that those calls are over (R7).
    // With `collect`, also a full garbage collection.
    fence(token, collect) {
      checkToken(token);
      if (collect === true) sandbox.collect();
      return 0;
    },
  };

  const globals = {
    console, routeRegistry, ResponseBuilder, validate, register, writeLog,
    requireQueryParam, requirePathParam, optionalQueryParam, validateString, validateNumber,
  };
  for (const name of Object.keys(globals)) {
    Object.defineProperty(g, name, { value: globals[name], writable: true, configurable: true, enumerable: false });
  }
  for (const obj of [ResponseBuilder, validate]) Object.freeze(obj);
  // IOTA scripts read `context` as a global: the context of the invocation
  // whose call runs now (it follows `state`, as the logs do; null at top
  // level). A script's own `context` wins: a parameter or a top-level
  // let/const/function shadows this property (configurable, so allowed), and
  // an assignment (`var context = ...` included) replaces it for good.
  Object.defineProperty(g, "context", {
    get() {
      return state.context;
    },
    set(value) {
      defineProperty(g, "context", { value: value, writable: true, configurable: true, enumerable: false });
    },
    configurable: true,
    enumerable: false,
  });
  Object.defineProperty(g, "__sh", { value: Object.freeze(host), writable: false, configurable: false, enumerable: false });
  return Object.freeze(api);
})
