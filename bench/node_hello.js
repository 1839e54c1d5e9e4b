// The hello handler in a Node.js http server, one worker per core: the
// ceiling for JS over HTTP on this machine. Usage: node node_hello.js PORT WORKERS
const cluster = require("node:cluster");
const http = require("node:http");

const port = Number(process.argv[2] || 8003);
const workers = Number(process.argv[3] || 1);

function hello(context) {
  const name = context.request.query.name || "world";
  return { status: 200, body: "Hello, " + name + "!", contentType: "text/plain" };
}

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  http
    .createServer((req, res) => {
      const url = new URL(req.url, "http://x");
      const query = Object.fromEntries(url.searchParams);
      const reply = hello({ request: { method: req.method, path: url.pathname, query } });
      res.writeHead(reply.status, { "content-type": reply.contentType });
      res.end(reply.body);
    })
    .listen(port, "127.0.0.1");
}
