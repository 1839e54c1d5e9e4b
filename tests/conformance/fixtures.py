"""The conformance fixtures: which seed section's code block each .js file is.

(seed, fixture name) -> (section heading, index of the block under it, or in
the plain-text IOTA seed its seeds.Lines). The fixture file holds that block
exactly; test_fixtures_are_verbatim.py says so.
"""

from tests.conformance.seeds import Lines

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

# The IOTA seed is plain text: a fixture there names its section heading (a
# line of the seed) and the block's exact lines (seeds.Lines). Its blocks that
# call `db` or `services` (issue 15) and the cron job (issues 14 and 15) have
# no fixture yet: nothing can run them. The Predix seed fences its one block.
FIXTURES |= {
    ("iota", "context_object"): ("Context Object", Lines(28, 33)),
    ("iota", "http_client"): ("HTTP Client", Lines(45, 47)),
    ("iota", "storage"): ("Storage (Key-Value Store)", Lines(49, 52)),
    ("iota", "utilities"): ("Utilities", Lines(54, 61)),
    ("iota", "http_endpoint"): ("HTTP Endpoint: Custom Report", Lines(133, 167)),
    ("iota", "event_handler"): ("Event Handler: Update Analytics", Lines(169, 180)),
    ("iota", "permissions"): ("Permissions", Lines(215, 219)),
    ("iota", "compilation_errors"): ("Compilation Errors", Lines(222, 229)),
    ("iota", "timeout_handling"): ("Timeout Handling", Lines(239, 247)),
    ("iota", "caching"): ("Caching", Lines(250, 260)),
    ("iota", "structured_logging"): ("Structured Logging", Lines(288, 298)),
    ("iota", "metrics"): ("Metrics", Lines(301, 307)),
    ("iota", "environment_variables"): ("Environment Variables", Lines(183, 190)),
    ("predix", "example_script"): ("Example Script", 0),
}

# What a test changes in a fixture before running it, and why. Nothing else
# is ever changed (tests may add lines before or after a block: see each
# test module's docstring).
CHANGED = {
    ("iota", "http_client"): (
        "https://api.example.com is pointed at a local test server "
        "(http://127.0.0.1:<port>), which SCRIPT_FETCH_ALLOW admits"
    ),
    ("predix", "example_script"): (
        "the (1)...(10) callout markers in the seed's margin become spaces"
    ),
}
