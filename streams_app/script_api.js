// The dispatcher (aiwebengine) and IOTA's events.publish: messages from one
// script to the listeners every script of the tenant registered.
//
// dispatcher.registerListener(messageType, handlerName) registers at load time
// (top level or init()), like routes. dispatcher.sendMessage(messageType,
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
  const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const MAX_TYPE_CHARS = 200;

  function checkType(messageType) {
    if (typeof messageType !== "string" || messageType.length === 0) {
      return "message type must be a non-empty string";
    }
    if (messageType.length > MAX_TYPE_CHARS) {
      return "message type is longer than " + MAX_TYPE_CHARS + " characters";
    }
    return null;
  }

  function registerListener(messageType, handlerName) {
    if (api.phase() !== "load") {
      return api.registrationError("listeners can only be registered at top level or in init()");
    }
    const problem = checkType(messageType);
    if (problem) return api.registrationError(problem);
    if (typeof handlerName !== "string" || !IDENTIFIER.test(handlerName)) {
      return api.registrationError(
        "listener handler name must be a function name, got " + api.show(handlerName));
    }
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
        // the statistics were counted: a later failure is logged.
        result.then(undefined, (e) => failed(handlerName, messageType, e));
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
