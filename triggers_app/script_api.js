// The Predix Scripting Engine's `$` SDK: today $.uuid.v1() and $.uuid.v4()
// (RFC 4122, from the engine's CSPRNG through the utils module's `uuid`).
// The object stays open: later modules (triggers, the document store) add
// their members to it.
(function (g, api) {
  "use strict";

  const uuid = api.need("uuid");
  api.define("$", { uuid: { v1: uuid.v1, v4: uuid.v4 } });
})
