// A Server-Sent Events stream: clients connect to GET /updates, and
// POST /updates/send?text=hi sends {"text": "hi"} to every one of them.

function send(context) {
  const text = context.request.query.text || "ping";
  routeRegistry.sendStreamMessage("/updates", { text: text });
  return ResponseBuilder.json({ sent: text });
}

function init(context) {
  routeRegistry.registerStreamRoute("/updates");
  routeRegistry.registerRoute("/updates/send", "send", "POST");
}
