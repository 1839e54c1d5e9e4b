/**
 * N synchronous host calls in one request: GET /bench/hostcalls?n=N.
 *
 * Four keys, read over and over: after its first read in an invocation a key
 * is answered from that invocation's cache, so what is timed is the round
 * trip through the channel, not the database.
 *
 * @name bench-hostcalls
 */

function calls(context) {
  const n = parseInt(context.request.query.n || "0", 10);
  let seen = 0;
  for (let i = 0; i < n; i++) {
    if (sharedStorage.getItem("key" + (i % 4)) === null) seen++;
  }
  return ResponseBuilder.text("ok " + seen);
}

function init(context) {
  routeRegistry.registerRoute("/bench/hostcalls", "calls", "GET");
}
