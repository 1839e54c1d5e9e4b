/**
 * Greets someone by name, in JSON: GET /greet/Ada?lang=fr answers
 * {"greeting": "Bonjour, Ada!", "lang": "fr"}.
 *
 * @name   greet
 * @author scripthost
 */

const GREETINGS = { en: "Hello", fr: "Bonjour", de: "Hallo", es: "Hola" };

function greet(context) {
  const name = context.request.params.name;
  const lang = context.request.query.lang || "en";
  const word = GREETINGS[lang];
  if (!word) {
    const known = Object.keys(GREETINGS).join(", ");
    return ResponseBuilder.error(400, "Unknown language '" + lang + "'; use one of " + known);
  }
  console.info("Greeting " + name + " in " + lang);
  return { status: 200, body: { greeting: word + ", " + name + "!", lang: lang } };
}

function init(context) {
  routeRegistry.registerRoute("/greet/:name", "greet", "GET");
}
