/**
 * Shows what a script sees of a request: POST /echo with a JSON body answers
 * with the method, path, query, parsed body and who is calling; GET /echo/any/path
 * shows what a trailing wildcard matched.
 *
 * @name   echo
 * @author scripthost
 */

function echo(context) {
  const request = context.request;
  let body = null;
  if (request.body) {
    try {
      body = JSON.parse(request.body);
    } catch (e) {
      return ResponseBuilder.error(400, "The body is not JSON: " + e.message);
    }
  }
  return ResponseBuilder.json({
    method: request.method,
    path: request.path,
    query: request.query,
    body: body,
    authenticated: request.auth.isAuthenticated,
    user: request.auth.userName,
    tenant: context.tenant.id,
  });
}

function echoPath(context) {
  return { body: { matched: context.request.params["*"], route: context.meta.route } };
}

function init(context) {
  routeRegistry.registerRoute("/echo", "echo", "POST");
  routeRegistry.registerRoute("/echo/*", "echoPath", "GET");
}
