/**
 * The seed's real-time chat: GET /chat is a Server-Sent Events stream, and
 * POST /chat/send with the form fields user and message sends one message to
 * everyone connected (curl -N http://127.0.0.1:8000/chat to watch).
 *
 * @name   chat
 * @author scripthost
 */

// Register a chat stream
routeRegistry.registerStreamRoute("/chat");

function sendMessage(context) {
  const req = context.request;
  const { user, message } = req.form;

  if (!user || !message) {
    return { status: 400, body: "Missing user or message" };
  }

  // Send to the chat stream
  routeRegistry.sendStreamMessage("/chat", {
    type: "chat_message",
    user: user,
    message: message,
    timestamp: new Date().toISOString(),
  });

  return { status: 200, body: "Message sent" };
}

routeRegistry.registerRoute("/chat/send", "sendMessage", "POST");
