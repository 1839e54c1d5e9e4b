// Streams (routeRegistry's registerStreamRoute, listStreams, sendStreamMessage
// and sendStreamMessageFiltered, contributed to the prelude's object; a
// stream may be registered at load time or from a handler), the
// dispatcher (aiwebengine) and IOTA's events.publish: messages from one
// script to the listeners every script of the tenant registered.
//
// dispatcher.registerListener(messageType, handlerName) registers at load time
// (top level or init()), like routes, or from a handler (registerLater). dispatcher.sendMessage(messageType,
// messageDataJson) and events.publish(type, data) deliver to every listener
// of the tenant, in registration order, before they return the seed's
// statistics string (synchronous host calls, R6). A listener of this same
// script runs here, in this context, re-entrantly (it sees the same globals,
// as in the reference implementation), as part of this invocation: its
// writes and logs are the sender's. Every other listener runs in its own
// script's context, as an invocation of its own (streams_app.dispatch).
(function (g, api) {
  "use strict";

  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const PromiseClass = Promise;
  const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const MAX_TYPE_CHARS = 200;

  // An empty type or handler name is worded as the reference implementation
  // words it ("... cannot be empty"): its own dispatcher test looks for that.
  function checkType(messageType) {
    if (messageType === "") return "message type cannot be empty";
    if (typeof messageType !== "string") {
      return "message type must be a non-empty string";
    }
    if (messageType.length > MAX_TYPE_CHARS) {
      return "message type is longer than " + MAX_TYPE_CHARS + " characters";
    }
    return null;
  }

  function registerListener(messageType, handlerName) {
    const problem = checkType(messageType);
    if (problem) return api.registrationError(problem);
    if (handlerName === "") return api.registrationError("listener handler name cannot be empty");
    if (typeof handlerName !== "string" || !IDENTIFIER.test(handlerName)) {
      return api.registrationError(
        "listener handler name must be a function name, got " + api.show(handlerName));
    }
    if (api.phase() !== "load") return registerLater(messageType, handlerName);
    const listeners = api.registrations("listeners");
    for (let i = 0; i < listeners.length; i++) {
      const l = listeners[i];
      if (l.messageType === messageType && l.handler === handlerName) {
        return "Listener already registered: " + messageType + " -> " + handlerName;
      }
    }
    listeners[listeners.length] = { messageType: messageType, handler: handlerName };
    return "Listener registered: " + messageType + " -> " + handlerName;
  }

  // Registered from a handler (the reference keeps such a listener for the
  // script's lifetime): an effect (R5), stored with the script's load-time
  // listeners once the invocation succeeds, until the script's next upload.
  function registerLater(messageType, handlerName) {
    if (api.handler(handlerName) === null) {
      return "Error: listener for '" + messageType + "' names handler '" + handlerName +
        "', which is not a function in this script";
    }
    api.effect("stream.listener", { messageType: messageType, handler: handlerName });
    return "Listener registered: " + messageType + " -> " + handlerName;
  }

  // Local listeners under way in this context: a send from one of them goes
  // one level deeper (the host refuses chains past its depth limit).
  let nesting = 0;

  // Run this script's listener `handlerName`; true unless it threw.
  function deliverHere(handlerName, messageType, context) {
    const fn = api.handler(handlerName);
    if (fn === null) {
      api.log("ERROR", "Listener '" + handlerName + "' for message '" + messageType +
        "' is not a function in this script");
      return false;
    }
    nesting += 1;
    try {
      const result = fn(context);
      if (result !== null && typeof result === "object" && typeof result.then === "function") {
        // An async listener finishes in this invocation's microtasks, after
        // the statistics were counted (as succeeded): the invocation waits for
        // it, and a later failure is logged.
        api.hold(PromiseClass.resolve(result).then(undefined, (e) => failed(handlerName, messageType, e)));
      }
      return true;
    } catch (e) {
      failed(handlerName, messageType, e);
      return false;
    } finally {
      nesting -= 1;
    }
  }

  function failed(handlerName, messageType, e) {
    api.log("ERROR", "Listener '" + handlerName + "' for message '" + messageType +
      "' failed: " + api.show(e));
  }

  // data: a JSON string (the seed) or any JSON-serialisable value (IOTA).
  // Mistakes throw, and so does what only the host can refuse (size, depth),
  // which the sender's log records too.
  function send(what, messageType, data) {
    const problem = checkType(messageType);
    if (problem) throw new TypeError(what + ": " + problem);
    let json;
    if (data === undefined || data === null) {
      json = "{}";
    } else if (typeof data === "string") {
      try {
        parse(data);
      } catch (e) {
        throw new TypeError(
          what + ": message data must be a JSON string (use JSON.stringify): " + e.message);
      }
      json = data;
    } else {
      try {
        json = stringify(data);
      } catch (e) {
        throw new TypeError(what + ": message data is not JSON-serialisable: " + e.message);
      }
      if (json === undefined) {
        throw new TypeError(what + ": message data is not JSON-serialisable");
      }
    }
    if (api.phase() !== "invoke") {
      throw new Error(
        what + ": messages cannot be sent while the script loads (top level or init())");
    }
    let reply = api.call("dispatch.send", [messageType, json, nesting]);
    while (reply.local !== undefined) {
      const ok = deliverHere(reply.local, messageType, reply.context);
      reply = api.call("dispatch.next", [reply.token, ok]);
    }
    return reply.result;
  }

  // ---- streams: routeRegistry's stream members ------------------------------------

  const streams = () => api.registrations("streams");
  api.claimPaths("streams", (st) => ({ path: st.path, methods: ["GET", "HEAD"], what: "a stream" }));
  // A registration naming a missing function is dropped and reported (a
  // registration that fails registers nothing; the upload lists it as a warning).
  api.checkAtLoad(() => {
    const list = streams();
    for (let i = 0; i < list.length; i++) {
      if (list[i].customizer && api.handler(list[i].customizer) === null) {
        api.registrationError("stream " + list[i].path + " names customizer '" +
          list[i].customizer + "', which is not a function in this script");
        list.splice(i--, 1);
      }
    }
  });

  // A stream path is literal: no ':param' or '*' segments.
  function checkStreamPath(path) {
    const problem = api.checkPath(path);
    if (problem) return problem;
    const segments = path.split("/");
    for (let i = 0; i < segments.length; i++) {
      if (segments[i] === "*" || segments[i][0] === ":") {
        return "a stream path is literal, without ':param' or '*': " + path;
      }
    }
    return null;
  }

  // Registered from a handler: the reference implementation keeps such a
  // stream until the script is reloaded. The host says now whether the
  // platform takes it (a reserved path, another script's path, the limits:
  // stream.check), so the answer is true; it is stored once the invocation
  // succeeds (an effect, R5) with the script's registrations, until its next
  // upload (streams_app.registry.streams_later).
  function registerStreamLater(path, customizer) {
    if (customizer && api.handler(customizer) === null) {
      return "Error: stream " + path + " names customizer '" + customizer +
        "', which is not a function in this script";
    }
    const refused = api.call("stream.check", [path, customizer]);
    if (refused) return "Error: " + refused;
    const mine = pendingStreams();
    if (!mine.some((st) => st.path === path)) {
      mine[mine.length] = { path: path, customizer: customizer };
      api.effect("stream.register", { path: path, customizer: customizer });
    }
    return "Stream registered: " + path;
  }

  // This invocation's stream registrations, not stored yet (read your writes).
  function pendingStreams() {
    const scratch = api.scratch();
    return scratch.streams || (scratch.streams = []);
  }

  function servedStreams() {
    const out = api.call("stream.list", []);
    const mine = pendingStreams();
    for (let i = 0; i < mine.length; i++) {
      if (!out.some((st) => st.path === mine[i].path)) out[out.length] = mine[i];
    }
    return out;
  }

  // The absolute URL of a path on this tenant, when the context says where
  // the platform is reached (meta.baseUrl, set for HTTP requests).
  function uriOf(path) {
    const context = api.context();
    const meta = context && context.meta;
    const base = meta && typeof meta.baseUrl === "string" ? meta.baseUrl : "";
    return base + path;
  }

  // Queue a message for a stream (R5: sent only if the invocation succeeds).
  // answer(path, filter) gives the success string; the default says "queued".
  function sendStream(what, path, data, filter, answer) {
    if (typeof path !== "string" || path[0] !== "/" || path.length > 200) {
      return "Error: " + what + ": the stream path must start with '/' (at most 200 characters), got " +
        api.show(path);
    }
    if (api.phase() === "load") {
      return "Error: " + what + ": messages cannot be sent while the script loads (top level or init())";
    }
    let text;
    if (typeof data === "string") {
      text = data;
    } else {
      try {
        text = stringify(data);
      } catch (e) {
        return "Error: " + what + ": the data is not JSON-serialisable: " + e.message;
      }
      if (text === undefined) return "Error: " + what + ": the data is not JSON-serialisable";
    }
    api.effect("stream.send", { path: path, data: text, filter: filter });
    if (answer) return answer(path, filter);
    return "Message queued for stream " + path + " (sent when the handler succeeds)";
  }

  // sendStreamMessageFiltered's answer, in the reference implementation's
  // words: the connections (to this server process) that match the filter
  // now. The message itself still goes out only if the invocation succeeds.
  function filteredAnswer(path, filter) {
    const count = api.call("stream.count", [path, filter]);
    return "Successfully sent filtered message to " + count + " connections on path '" +
      path + "'";
  }

  const streamMembers = {
    registerStreamRoute(path, customizerHandlerName) {
      const problem = checkStreamPath(path);
      if (problem) return api.registrationError(problem);
      let customizer = "";
      if (customizerHandlerName !== undefined && customizerHandlerName !== null) {
        if (typeof customizerHandlerName !== "string" || !IDENTIFIER.test(customizerHandlerName)) {
          return api.registrationError(
            "stream customizer must be a function name, got " + api.show(customizerHandlerName));
        }
        customizer = customizerHandlerName;
      }
      const taken = api.pathTaken("streams", path, ["GET", "HEAD"]);
      if (taken) return api.registrationError(taken);
      if (api.phase() !== "load") return registerStreamLater(path, customizer);
      const list = streams();
      const same = list.find((st) => st.path === path);
      if (same) {
        same.customizer = customizer;
      } else {
        list[list.length] = { path: path, customizer: customizer };
      }
      return "Stream registered: " + path;
    },
    // This script's streams, as a JSON string of [{path, uri}]: while it
    // loads, those registered so far; in a handler, those the platform
    // serves for it (stream.list: what its upload kept, plus those handlers
    // registered since), and this invocation's own registrations.
    listStreams() {
      const list = api.phase() === "load" ? streams() : servedStreams();
      const out = [];
      for (let i = 0; i < list.length; i++) {
        out[i] = { path: list[i].path, uri: uriOf(list[i].path) };
      }
      return stringify(out);
    },
    sendStreamMessage(path, data) {
      return sendStream("sendStreamMessage", path, data, {});
    },
    // filterJson: a JSON object of metadata values a connection must have.
    sendStreamMessageFiltered(path, data, filterJson) {
      let filter = filterJson;
      if (typeof filterJson === "string") {
        try {
          filter = parse(filterJson);
        } catch (e) {
          return "Error: sendStreamMessageFiltered: filterJson is not valid JSON: " + e.message;
        }
      }
      if (filter === null || typeof filter !== "object" || Array.isArray(filter)) {
        return "Error: sendStreamMessageFiltered: filterJson must be a JSON object such as " +
          "'{\"room\":\"general\"}', got " + api.show(filterJson);
      }
      const clean = {};
      const keys = Object.keys(filter);
      for (let i = 0; i < keys.length; i++) {
        const v = filter[keys[i]];
        if (v !== null && typeof v === "object") {
          return "Error: sendStreamMessageFiltered: filter values must be strings, numbers " +
            "or booleans; '" + keys[i] + "' is " + api.show(v);
        }
        clean[keys[i]] = String(v);
      }
      return sendStream("sendStreamMessageFiltered", path, data, clean, filteredAnswer);
    },
  };
  api.contribute("routeRegistry", streamMembers);

  // The reference implementation's first stream API (Oct 2025):
  // registerWebStream(path) registered a stream, and sendStreamMessage(data)
  // sent to every stream of the engine. Here it sends to every stream of the
  // calling script (a script does not broadcast on other scripts' streams
  // unasked); sendStreamMessage(path, data) is routeRegistry's.
  api.define("registerWebStream", function registerWebStream(path) {
    return streamMembers.registerStreamRoute(path);
  });
  api.define("sendStreamMessage", function sendStreamMessage(pathOrData, data) {
    if (arguments.length >= 2) return streamMembers.sendStreamMessage(pathOrData, data);
    const list = parse(streamMembers.listStreams());
    const answers = [];
    for (let i = 0; i < list.length; i++) {
      answers[i] = streamMembers.sendStreamMessage(list[i].path, pathOrData);
    }
    return answers.length === 0 ? "Error: this script has no streams" : answers.join("\n");
  });

  // ---- the dispatcher ------------------------------------------------------------------

  api.checkAtLoad(() => {
    const listeners = api.registrations("listeners");
    for (let i = 0; i < listeners.length; i++) {
      if (api.handler(listeners[i].handler) === null) {
        api.registrationError("listener for '" + listeners[i].messageType + "' names handler '" +
          listeners[i].handler + "', which is not a function in this script");
        listeners.splice(i--, 1);
      }
    }
  });

  api.define("dispatcher", Object.freeze({
    registerListener: registerListener,
    sendMessage(messageType, messageData) {
      return send("dispatcher.sendMessage", messageType, messageData);
    },
  }));

  api.define("events", Object.freeze({
    publish(type, data) {
      return send("events.publish", type, data);
    },
    // IOTA names no registration call; this is dispatcher.registerListener.
    subscribe: registerListener,
  }));
})
