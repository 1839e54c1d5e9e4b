/**
 * Creates users and tells other scripts about them (the dispatcher):
 * POST /users?username=ada&email=ada@example.com stores the user and sends a
 * "user.created" message; examples/analytics.js listens to it. The answer
 * says how many listeners got the message. GET /users/1 reads a user back.
 *
 * @name   users
 * @author scripthost
 */

function createUser(context) {
  const req = context.request;
  const username = req.form.username || req.query.username;
  const email = req.form.email || req.query.email || null;
  if (!username) {
    return ResponseBuilder.error(400, "username is required");
  }

  const userId = sharedStorage.getItem("nextUserId") || "1";
  sharedStorage.setItem("user:" + userId, JSON.stringify({ username, email }));
  sharedStorage.setItem("nextUserId", String(parseInt(userId) + 1));

  // Returns once every listener has run (and its writes are stored).
  const result = dispatcher.sendMessage(
    "user.created",
    JSON.stringify({ userId, username, email, timestamp: new Date().toISOString() }),
  );
  console.log("User creation event: " + result);

  return { status: 201, body: { success: true, userId: userId, dispatch: result } };
}

function getUser(context) {
  const user = sharedStorage.getItem("user:" + context.request.params.id);
  if (user === null) {
    return ResponseBuilder.error(404, "No such user");
  }
  return { status: 200, body: JSON.parse(user) };
}

function init(context) {
  routeRegistry.registerRoute("/users", "createUser", "POST");
  routeRegistry.registerRoute("/users/:id", "getUser", "GET");
}
