/**
 * Counts the users examples/users.js creates: it listens to the dispatcher's
 * "user.created" messages. GET /analytics answers
 * {"totalUsers": 2, "lastUser": "grace"}.
 *
 * @name   analytics
 * @author scripthost
 */

function onUserCreated(context) {
  const userData = context.messageData;
  console.log(`Analytics: New user ${userData.username} created at ${userData.timestamp}`);

  const totalUsers = parseInt(sharedStorage.getItem("metrics:totalUsers") || "0");
  sharedStorage.setItem("metrics:totalUsers", String(totalUsers + 1));
  sharedStorage.setItem("metrics:lastUser", userData.username);
}

function metrics(context) {
  return {
    status: 200,
    body: {
      totalUsers: parseInt(sharedStorage.getItem("metrics:totalUsers") || "0"),
      lastUser: sharedStorage.getItem("metrics:lastUser"),
    },
  };
}

function init(context) {
  dispatcher.registerListener("user.created", "onUserCreated");
  routeRegistry.registerRoute("/analytics", "metrics", "GET");
}
