// graphQLRegistry (aiwebengine): GraphQL operations a script serves, and
// queries it runs against its tenant's schema.
//
// registerQuery / registerMutation / registerSubscription(name, sdl,
// resolverName, visibility) register at load time (top level or init()),
// like routes; the upload then parses the script's SDL fragments with
// graphql-core as one set of types (a type one registration defines may be
// used by the others) and merges them with the tenant's other scripts'
// (graphql_app.registry), refusing the upload if they clash.
// executeGraphQL(query, variables) asks the host to run a query and returns
// the seed's JSON string (a synchronous host call, R6).
// sendSubscriptionMessage(name, dataJson) and
// sendSubscriptionMessageFiltered(name, dataJson, filterJson) queue a message
// for every subscriber of a subscription of the tenant (R5: sent only if the
// invocation succeeds; graphql_app.subscriptions).
(function (g, api) {
  "use strict";

  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
  const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const VISIBILITIES = ["internal", "engine", "external"];
  const MAX_SDL_CHARS = 65536;
  const MAX_NAME_CHARS = 128;

  function register(kind, name, sdl, resolverName, visibility) {
    const what = "GraphQL " + kind;
    if (api.phase() !== "load") {
      return api.registrationError(
        what + "s can only be registered at top level or in init()");
    }
    if (typeof name !== "string" || !GRAPHQL_NAME.test(name) || name.slice(0, 2) === "__" ||
        name.length > MAX_NAME_CHARS) {
      return api.registrationError(
        what + " name must be a GraphQL name (letters, digits and '_', not starting " +
        "with a digit or '__', at most " + MAX_NAME_CHARS + " characters), got " + api.show(name));
    }
    if (typeof sdl !== "string" || sdl.trim().length === 0) {
      return api.registrationError(
        what + " '" + name + "': the SDL must be a non-empty string, got " + api.show(sdl));
    }
    if (sdl.length > MAX_SDL_CHARS) {
      return api.registrationError(
        what + " '" + name + "': the SDL is longer than " + MAX_SDL_CHARS + " characters");
    }
    if (typeof resolverName !== "string" || !IDENTIFIER.test(resolverName)) {
      return api.registrationError(
        what + " '" + name + "': the resolver must be a function name, got " +
        api.show(resolverName));
    }
    const seen = visibility === undefined || visibility === null ? "internal" : visibility;
    if (VISIBILITIES.indexOf(seen) < 0) {
      return api.registrationError(
        what + " '" + name + "': visibility must be one of " + VISIBILITIES.join(", ") +
        ", got " + api.show(visibility));
    }
    const entries = api.registrations("graphql");
    const entry = { kind: kind, name: name, sdl: sdl, handler: resolverName, visibility: seen };
    for (let i = 0; i < entries.length; i++) {
      if (entries[i].kind === kind && entries[i].name === name) {
        entries[i] = entry; // registered again: the last call wins, as for routes
        return "GraphQL " + kind + " registered: " + name + " -> " + resolverName;
      }
    }
    entries[entries.length] = entry;
    return "GraphQL " + kind + " registered: " + name + " -> " + resolverName;
  }

  // variables: a JSON string of an object (the seed), or the object itself.
  function executeGraphQL(query, variables) {
    if (typeof query !== "string" || query.trim().length === 0) {
      throw new TypeError("executeGraphQL: the query must be a non-empty string, got " +
        api.show(query));
    }
    let json = null;
    if (variables !== undefined && variables !== null && variables !== "") {
      let value = variables;
      if (typeof variables === "string") {
        try {
          value = parse(variables);
        } catch (e) {
          throw new TypeError(
            "executeGraphQL: variables must be a JSON string of an object: " + e.message);
        }
      }
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new TypeError(
          "executeGraphQL: variables must be an object (or its JSON string), got " +
          api.show(variables));
      }
      try {
        json = stringify(value);
      } catch (e) {
        throw new TypeError("executeGraphQL: variables are not JSON-serialisable: " + e.message);
      }
    }
    if (api.phase() !== "invoke") {
      throw new Error(
        "executeGraphQL: queries cannot run while the script loads (top level or init())");
    }
    return api.call("graphql.execute", [query, json]);
  }

  // Queue a message for a subscription's subscribers (R5). Mistakes answer an
  // "Error: ..." string, as routeRegistry.sendStreamMessage's do.
  function sendSubscription(what, name, data, filter) {
    if (typeof name !== "string" || !GRAPHQL_NAME.test(name) || name.length > MAX_NAME_CHARS) {
      return "Error: " + what + ": the subscription name must be a GraphQL name, got " +
        api.show(name);
    }
    if (api.phase() !== "invoke") {
      return "Error: " + what +
        ": messages cannot be sent while the script loads (top level or init())";
    }
    let text;
    if (typeof data === "string") {
      text = data;
    } else {
      try {
        text = stringify(data === undefined ? null : data);
      } catch (e) {
        return "Error: " + what + ": the data is not JSON-serialisable: " + e.message;
      }
      if (text === undefined) return "Error: " + what + ": the data is not JSON-serialisable";
    }
    api.effect("graphql.subscription", { name: name, data: text, filter: filter });
    return "Message queued for subscription " + name + " (sent when the handler succeeds)";
  }

  // filterJson: a JSON object of metadata values a subscriber must have.
  function sendFiltered(name, data, filterJson) {
    const what = "sendSubscriptionMessageFiltered";
    let filter = filterJson;
    if (filterJson === undefined || filterJson === null || filterJson === "") {
      filter = {};
    } else if (typeof filterJson === "string") {
      try {
        filter = parse(filterJson);
      } catch (e) {
        return "Error: " + what + ": filterJson is not valid JSON: " + e.message;
      }
    }
    if (filter === null || typeof filter !== "object" || Array.isArray(filter)) {
      return "Error: " + what + ": filterJson must be a JSON object such as " +
        "'{\"room\":\"general\"}', got " + api.show(filterJson);
    }
    const clean = {};
    const keys = Object.keys(filter);
    for (let i = 0; i < keys.length; i++) {
      const v = filter[keys[i]];
      if (v !== null && typeof v === "object") {
        return "Error: " + what + ": filter values must be strings, numbers or booleans; '" +
          keys[i] + "' is " + api.show(v);
      }
      clean[keys[i]] = String(v);
    }
    return sendSubscription(what, name, data, clean);
  }

  api.checkAtLoad(() => {
    const operations = api.registrations("graphql");
    for (let i = 0; i < operations.length; i++) {
      if (api.handler(operations[i].handler) === null) {
        api.registrationError("GraphQL " + operations[i].kind + " '" + operations[i].name +
          "' names resolver '" + operations[i].handler + "', which is not a function in this script");
        operations.splice(i--, 1); // dropped: a failed registration registers nothing
      }
    }
  });

  api.define("graphQLRegistry", Object.freeze({
    registerQuery(name, sdl, resolverName, visibility) {
      return register("query", name, sdl, resolverName, visibility);
    },
    registerMutation(name, sdl, resolverName, visibility) {
      return register("mutation", name, sdl, resolverName, visibility);
    },
    registerSubscription(name, sdl, resolverName, visibility) {
      return register("subscription", name, sdl, resolverName, visibility);
    },
    executeGraphQL: executeGraphQL,
    sendSubscriptionMessage(name, data) {
      return sendSubscription("sendSubscriptionMessage", name, data, {});
    },
    sendSubscriptionMessageFiltered: sendFiltered,
  }));

  // The reference implementation's first GraphQL API (Oct 2025): global
  // registerGraphQLQuery/Mutation/Subscription(name, sdl, resolverName), whose
  // operations were served on /graphql; here they are "external" ones.
  api.define("registerGraphQLQuery", function registerGraphQLQuery(name, sdl, resolverName) {
    return register("query", name, sdl, resolverName, "external");
  });
  api.define("registerGraphQLMutation", function registerGraphQLMutation(name, sdl, resolverName) {
    return register("mutation", name, sdl, resolverName, "external");
  });
  api.define("registerGraphQLSubscription", function registerGraphQLSubscription(
    name, sdl, resolverName) {
    return register("subscription", name, sdl, resolverName, "external");
  });
})
