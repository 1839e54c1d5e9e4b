/**
 * Says hello: GET /hello?name=Bob answers "Hello, Bob!".
 *
 * @name   hello
 * @author scripthost
 */

function hello(context) {
  const name = context.request.query.name || "world";
  console.log("Saying hello to " + name);
  return ResponseBuilder.text("Hello, " + name + "!");
}

function init(context) {
  routeRegistry.registerRoute("/hello", "hello", "GET");
}
