/**
 * The benchmark's stream: GET /bench/sse is a Server-Sent Events stream;
 * POST /bench/sse/broadcast sends its JSON body to every connection.
 *
 * @name bench-sse
 */

function broadcast(context) {
  return routeRegistry.sendStreamMessage("/bench/sse", context.request.body);
}

function init(context) {
  routeRegistry.registerStreamRoute("/bench/sse");
  routeRegistry.registerRoute("/bench/sse/broadcast", "broadcast", "POST");
}
