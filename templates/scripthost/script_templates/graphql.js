// A GraphQL query: POST /graphql {"query": "{ greeting(name: \"Ann\") }"}
// answers {"data": {"greeting": "Hello, Ann!"}}. A resolver gets the field's
// arguments as context.args.

function greeting(context) {
  return "Hello, " + (context.args.name || "world") + "!";
}

function init(context) {
  graphQLRegistry.registerQuery(
    "greeting",
    "type Query { greeting(name: String): String! }",
    "greeting",
    "external",
  );
}
