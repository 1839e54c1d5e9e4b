/**
 * One shared-storage read and one write: GET /bench/storage?k=KEY.
 *
 * @name bench-storage
 */

function touch(context) {
  const key = context.request.query.k || "k";
  const value = sharedStorage.getItem(key);
  sharedStorage.setItem(key, String((parseInt(value || "0", 10) || 0) + 1));
  return ResponseBuilder.text("ok");
}

function init(context) {
  routeRegistry.registerRoute("/bench/storage", "touch", "GET");
}
