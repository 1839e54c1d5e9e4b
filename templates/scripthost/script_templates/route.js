// A route: GET /hello?name=Ann answers {"hello": "Ann"}.
// Registrations run at upload (the top level or init()); handlers run per request.

function hello(context) {
  const name = context.request.query.name || "world";
  console.log("hello " + name);
  return ResponseBuilder.json({ hello: name });
}

function init(context) {
  routeRegistry.registerRoute("/hello", "hello", "GET");
}
