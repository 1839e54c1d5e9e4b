// graphQLRegistry (aiwebengine): GraphQL operations a script serves, and
// queries it runs against its tenant's schema.
//
// registerQuery / registerMutation / registerSubscription(name, sdl,
// resolverName, visibility) register at load time (top level or init()),
// like routes; the upload then parses every SDL fragment with graphql-core and
// merges it with the tenant's other scripts' (graphql_app.registry), refusing
// the upload if they clash. executeGraphQL(query, variables) asks the host to
// run a query and returns a Promise of the seed's JSON string (R6: the seed
// returns it synchronously; await it).
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
  }));
})
