"""The conformance fixtures: which seed section's code block each .js file is.

(seed, fixture name) -> (section heading, index of the block under it). The
fixture file holds that block exactly; test_fixtures_are_verbatim.py says so.
"""

FIXTURES = {
    ("aiwebengine", "register_route"): (
        "routeRegistry.registerRoute(path, handlerName, method)",
        0,
    ),
    ("aiwebengine", "response_json"): ("ResponseBuilder.json(data, status)", 0),
    ("aiwebengine", "response_text"): ("ResponseBuilder.text(text, status)", 0),
    ("aiwebengine", "response_html"): ("ResponseBuilder.html(html, status)", 0),
    ("aiwebengine", "response_error"): ("ResponseBuilder.error(status, message)", 0),
    ("aiwebengine", "response_redirect"): ("ResponseBuilder.redirect(url, status)", 0),
    ("aiwebengine", "shared_get_item"): ("sharedStorage.getItem(key)", 0),
    ("aiwebengine", "shared_set_item"): ("sharedStorage.setItem(key, value)", 0),
    ("aiwebengine", "shared_remove_item"): ("sharedStorage.removeItem(key)", 0),
    ("aiwebengine", "shared_clear"): ("sharedStorage.clear()", 0),
    ("aiwebengine", "console_example"): ("Console", 0),
    ("aiwebengine", "require_query_param"): ("requireQueryParam(paramName)", 0),
    ("aiwebengine", "require_path_param"): ("requirePathParam(paramName)", 0),
    ("aiwebengine", "validate_string"): (
        "validateString(value, minLength, maxLength)",
        0,
    ),
    ("aiwebengine", "validate_number"): ("validateNumber(value, min, max)", 0),
    ("aiwebengine", "optional_query_param"): (
        "optionalQueryParam(paramName, defaultValue)",
        0,
    ),
    ("aiwebengine", "markdown_to_html"): ("convert.markdown_to_html(markdown)", 0),
    ("aiwebengine", "personal_get_item"): ("personalStorage.getItem(key)", 0),
    ("aiwebengine", "personal_set_item"): ("personalStorage.setItem(key, value)", 0),
    ("aiwebengine", "personal_remove_item"): ("personalStorage.removeItem(key)", 0),
    ("aiwebengine", "personal_clear"): ("personalStorage.clear()", 0),
    ("aiwebengine", "list_routes"): ("routeRegistry.listRoutes()", 0),
    ("aiwebengine", "list_streams"): ("routeRegistry.listStreams()", 0),
    ("aiwebengine", "list_assets"): ("routeRegistry.listAssets()", 0),
}
