// String.prototype.contains(searchString, position): what the Predix Scripting
// Engine still offers under the name ES6 drafts used before `includes`
// (predix-scripts.md, "ES6 Support"), so its scripts run as written. It is
// `includes` by another name, defined as built-in methods are (writable,
// configurable, not enumerable): a script may still replace it.
(function (g, api) {
  "use strict";

  const StringProto = g.String.prototype;
  const includes = StringProto.includes;
  const apply = Reflect.apply;

  if (Object.prototype.hasOwnProperty.call(StringProto, "contains")) return;
  Object.defineProperty(StringProto, "contains", {
    value: {
      contains(searchString) {
        return apply(includes, this, arguments);
      },
    }.contains,
    writable: true,
    configurable: true,
    enumerable: false,
  });
})
