// The dispatcher (aiwebengine) and IOTA's events.publish: messages from one
// script to the listeners every script of the tenant registered.
//
// dispatcher.registerListener(messageType, handlerName) registers at load time
// (top level or init()), like routes. dispatcher.sendMessage(messageType,
// messageDataJson) and events.publish(type, data) ask the host to run every
// listener, each in its own script's context, and return a Promise of the
// seed's statistics string (R6: the seed returns it synchronously; await it).
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

  // data: a JSON string (the seed) or any JSON-serialisable value (IOTA).
  // Mistakes throw at once, as storage writes do, so that a send the script
  // does not await (the seed's examples never do) still fails visibly; what
  // only the host can refuse (size, depth) rejects the Promise and is logged.
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
    return api.call("dispatch.send", [messageType, json]);
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
