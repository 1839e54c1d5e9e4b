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
    ("aiwebengine", "stream_routes"): ("routeRegistry.registerStreamRoute(path)", 0),
    ("aiwebengine", "send_stream_notify"): (
        "routeRegistry.sendStreamMessage(path, data)",
        0,
    ),
    ("aiwebengine", "send_stream_chat"): (
        "routeRegistry.sendStreamMessage(path, data)",
        1,
    ),
    ("aiwebengine", "send_stream_filtered"): (
        "routeRegistry.sendStreamMessageFiltered(path, data, filterJson)",
        0,
    ),
    ("aiwebengine", "asset_routes"): ("routeRegistry.registerAssetRoute(assetPath)", 0),
    ("aiwebengine", "asset_list"): ("assetStorage.listAssets()", 0),
    ("aiwebengine", "asset_fetch"): ("assetStorage.fetchAsset(asset_name)", 0),
    ("aiwebengine", "asset_upsert"): (
        "assetStorage.upsertAsset(asset_name, content_b64, mimetype)",
        0,
    ),
    ("aiwebengine", "asset_upsert_image"): (
        "assetStorage.upsertAsset(asset_name, content_b64, mimetype)",
        1,
    ),
    ("aiwebengine", "asset_delete"): ("assetStorage.deleteAsset(asset_name)", 0),
    ("aiwebengine", "asset_crud"): ("Asset Management Example", 0),
    # The fetch blocks call https://api.example.com: test_aiwebengine.py
    # points that origin at a local test server (tests/secrets_app/localserver)
    # when it uploads them, and SCRIPT_FETCH_ALLOW (FETCH_ALLOW) admits that
    # server's address. The fixtures themselves are the seed's, unchanged.
    ("aiwebengine", "fetch_get"): ("fetch(url, options)", 0),
    ("aiwebengine", "fetch_post"): ("fetch(url, options)", 1),
    ("aiwebengine", "fetch_secret"): ("fetch(url, options)", 2),
    ("aiwebengine", "fetch_errors"): ("fetch(url, options)", 3),
    ("aiwebengine", "graphql_query"): (
        "graphQLRegistry.registerQuery(name, sdl, resolverFunction, visibility)",
        0,
    ),
    ("aiwebengine", "graphql_query_args"): (
        "graphQLRegistry.registerQuery(name, sdl, resolverFunction, visibility)",
        1,
    ),
    ("aiwebengine", "graphql_mutation"): (
        "graphQLRegistry.registerMutation(name, sdl, resolverFunction, visibility)",
        0,
    ),
    ("aiwebengine", "graphql_subscription"): (
        "graphQLRegistry.registerSubscription(name, sdl, resolverFunction, visibility)",
        0,
    ),
    ("aiwebengine", "graphql_send"): (
        "graphQLRegistry.sendSubscriptionMessage(subscriptionName, data)",
        0,
    ),
    ("aiwebengine", "graphql_send_filtered"): (
        "graphQLRegistry.sendSubscriptionMessageFiltered(subscriptionName, data, filterJson)",
        0,
    ),
    ("aiwebengine", "graphql_execute"): (
        "graphQLRegistry.executeGraphQL(query, variables)",
        0,
    ),
    ("aiwebengine", "graphql_execute_variables"): (
        "graphQLRegistry.executeGraphQL(query, variables)",
        1,
    ),
    ("aiwebengine", "graphql_execute_mutation"): (
        "graphQLRegistry.executeGraphQL(query, variables)",
        2,
    ),
    ("aiwebengine", "response_no_content"): ("ResponseBuilder.noContent()", 0),
    ("aiwebengine", "dispatcher_listener"): (
        "dispatcher.registerListener(messageType, handlerName)",
        0,
    ),
    ("aiwebengine", "dispatcher_send"): (
        "dispatcher.sendMessage(messageType, messageData)",
        0,
    ),
    ("aiwebengine", "dispatcher_user_service"): (
        "Complete Example: User Activity System",
        0,
    ),
    ("aiwebengine", "dispatcher_analytics"): (
        "Complete Example: User Activity System",
        1,
    ),
    ("aiwebengine", "dispatcher_notifications"): (
        "Complete Example: User Activity System",
        2,
    ),
    ("aiwebengine", "validate_object"): ("Validation Object", 0),
}

# The seed's smaller snippets: handlers' context and requests, response
# shapes, resolvers, a scheduled handler, error handling.
FIXTURES |= {
    ("aiwebengine", "handler_context"): ("Unified Handler Context", 0),
    ("aiwebengine", "console_log_handler"): ("console.log(message)", 0),
    ("aiwebengine", "resolver_functions"): ("Resolver Functions", 0),
    ("aiwebengine", "request_example_get"): ("Examples", 0),
    ("aiwebengine", "request_example_post"): ("Examples", 1),
    ("aiwebengine", "response_examples"): ("Response Examples", 0),
    ("aiwebengine", "scheduled_handler_context"): ("Scheduled Handler Context", 0),
    ("aiwebengine", "error_handling"): ("Error Handling", 0),
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

# The blocks over the document store (issue 15): db, services, and the cron
# job's body (run by hand, as issue 14's manual runs do; its schedule is
# issue 14's).
FIXTURES |= {
    ("iota", "database_access"): ("Database Access", Lines(35, 38)),
    ("iota", "service_layer"): ("Service Layer", Lines(40, 43)),
    ("iota", "cron_job"): ("Cron Job: Send Notifications", Lines(64, 100)),
    ("iota", "order_validation"): ("Order Validation Rule", Lines(102, 131)),
    ("iota", "runtime_errors"): ("Runtime Errors", Lines(231, 237)),
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
    ("iota", "database_access"): (
        "run once whole (its db.query line throws: SQL is a later issue) and "
        "once without that line"
    ),
}
