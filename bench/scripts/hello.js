/**
 * The benchmark's hello route: GET /hello answers "Hello, world!".
 *
 * @name hello
 */

function hello(context) {
  const name = context.request.query.name || "world";
  return ResponseBuilder.text("Hello, " + name + "!");
}

function init(context) {
  routeRegistry.registerRoute("/hello", "hello", "GET");
}
