"""RouteTable: which registered route a method and path lead to."""

from scripts_app.routing import Match, NoMatch, RouteTable, RouteTarget


def table(*routes):
    """Build a table from (method, pattern, handler) triples."""
    t = RouteTable()
    for method, pattern, handler in routes:
        t.add(method, RouteTarget(1, "s", 1, handler, pattern))
    return t.finish()


def served_by(t, method, path):
    found = t.match(method, path)
    assert isinstance(found, Match), f"{method} {path} -> {found}"
    return found.target.handler, found.params


def test_exact_path_matches_itself_and_not_a_longer_name():
    t = table(("GET", "/hello", "hello"))
    assert served_by(t, "GET", "/hello") == ("hello", {})
    assert t.match("GET", "/hell") == NoMatch([])
    assert t.match("GET", "/hellox") == NoMatch([])


def test_literal_route_answers_paths_below_it_when_nothing_else_matches():
    # The aiwebengine seed's asset-CRUD example registers /assets and serves
    # /assets/<name> from the same handler.
    t = table(("GET", "/assets", "assets"), ("DELETE", "/assets", "assets"))
    assert served_by(t, "GET", "/assets/logo.png") == ("assets", {"*": "logo.png"})
    assert served_by(t, "DELETE", "/assets/a/b") == ("assets", {"*": "a/b"})
    assert served_by(t, "HEAD", "/assets/x") == ("assets", {"*": "x"})


def test_path_ending_in_slash_does_not_fall_back_to_a_literal_route():
    t = table(("GET", "/hello", "hello"))
    assert t.match("GET", "/hello/") == NoMatch([])
    assert t.match("GET", "/hello/x/") == NoMatch([])


def test_longest_literal_route_above_the_path_wins():
    t = table(("GET", "/a", "a"), ("GET", "/a/b", "ab"))
    assert served_by(t, "GET", "/a/b/c") == ("ab", {"*": "c"})
    assert served_by(t, "GET", "/a/x/c") == ("a", {"*": "x/c"})


def test_param_and_wildcard_routes_beat_the_literal_fallback():
    t = table(
        ("GET", "/assets", "list"),
        ("GET", "/assets/:name", "one"),
        ("GET", "/files", "index"),
        ("GET", "/files/*", "files"),
    )
    assert served_by(t, "GET", "/assets/x") == ("one", {"name": "x"})
    assert served_by(t, "GET", "/assets/x/y") == ("list", {"*": "x/y"})
    assert served_by(t, "GET", "/files/x") == ("files", {"*": "x"})


def test_literal_fallback_with_other_methods_only_answers_405():
    t = table(("GET", "/assets", "assets"))
    assert t.match("PUT", "/assets/x") == NoMatch(["GET", "HEAD"])


def test_asset_routes_do_not_answer_paths_below_them():
    t = RouteTable()
    t.add("GET", RouteTarget(1, "s", 1, "", "/logo.svg", "asset", "logo.svg"))
    t.finish()
    assert t.match("GET", "/logo.svg/x") == NoMatch([])


def test_param_segments_are_captured_by_name():
    t = table(("GET", "/users/:id/posts/:post", "post"))
    assert served_by(t, "GET", "/users/42/posts/7") == (
        "post",
        {"id": "42", "post": "7"},
    )


def test_param_does_not_match_an_empty_segment():
    t = table(("GET", "/users/:id", "user"))
    assert t.match("GET", "/users/") == NoMatch([])


def test_wildcard_captures_the_rest_of_the_path_in_star():
    t = table(("GET", "/files/*", "files"))
    assert served_by(t, "GET", "/files/a/b/c.txt") == ("files", {"*": "a/b/c.txt"})
    assert served_by(t, "GET", "/files/") == ("files", {"*": ""})


def test_wildcard_also_answers_its_bare_prefix_with_an_empty_rest():
    t = table(("GET", "/files/*", "files"))
    assert served_by(t, "GET", "/files") == ("files", {"*": ""})
    assert t.match("GET", "/filesystem") == NoMatch([])


def test_exact_bare_prefix_beats_the_wildcard():
    t = table(("GET", "/files/*", "files"), ("GET", "/files", "index"))
    assert served_by(t, "GET", "/files")[0] == "index"


def test_wildcard_pattern_can_also_capture_params():
    t = table(("GET", "/u/:user/*", "browse"))
    assert served_by(t, "GET", "/u/ann/docs/x") == (
        "browse",
        {"user": "ann", "*": "docs/x"},
    )


def test_exact_beats_param_beats_wildcard():
    t = table(
        ("GET", "/users/*", "wild"),
        ("GET", "/users/:id", "param"),
        ("GET", "/users/me", "exact"),
    )
    assert served_by(t, "GET", "/users/me")[0] == "exact"
    assert served_by(t, "GET", "/users/42") == ("param", {"id": "42"})
    assert served_by(t, "GET", "/users/42/more") == ("wild", {"*": "42/more"})


def test_precedence_does_not_depend_on_registration_order():
    forward = table(("GET", "/a/:x", "param"), ("GET", "/a/b", "exact"))
    backward = table(("GET", "/a/b", "exact"), ("GET", "/a/:x", "param"))
    assert served_by(forward, "GET", "/a/b")[0] == "exact"
    assert served_by(backward, "GET", "/a/b")[0] == "exact"


def test_literal_segment_beats_param_between_two_param_patterns():
    t = table(
        ("GET", "/users/:id/:tab", "generic"),
        ("GET", "/users/:id/posts", "posts"),
        ("GET", "/users/me/:tab", "mine"),
    )
    # The earlier literal segment wins: "me" in position 2 over "posts" in 3.
    assert served_by(t, "GET", "/users/me/posts") == ("mine", {"tab": "posts"})
    assert served_by(t, "GET", "/users/7/posts") == ("posts", {"id": "7"})
    assert served_by(t, "GET", "/users/7/likes") == (
        "generic",
        {"id": "7", "tab": "likes"},
    )


def test_longer_wildcard_prefix_beats_shorter():
    t = table(("GET", "/*", "root"), ("GET", "/docs/*", "docs"))
    assert served_by(t, "GET", "/docs/intro") == ("docs", {"*": "intro"})
    assert served_by(t, "GET", "/other") == ("root", {"*": "other"})


def test_unknown_path_is_no_match_with_nothing_allowed():
    t = table(("GET", "/hello", "hello"))
    found = t.match("GET", "/nope")
    assert isinstance(found, NoMatch)
    assert found.allowed == []


def test_known_path_with_other_method_lists_allowed_methods_with_head_for_get():
    t = table(("GET", "/items", "list"), ("POST", "/items", "create"))
    assert t.match("DELETE", "/items") == NoMatch(["GET", "HEAD", "POST"])


def test_allowed_methods_omit_head_when_there_is_no_get():
    t = table(("POST", "/items", "create"), ("PUT", "/items", "replace"))
    assert t.match("GET", "/items") == NoMatch(["POST", "PUT"])


def test_allowed_methods_gather_every_matching_pattern():
    t = table(("GET", "/items/:id", "read"), ("DELETE", "/items/*", "purge"))
    assert t.match("PATCH", "/items/3") == NoMatch(["DELETE", "GET", "HEAD"])


def test_head_is_served_by_the_get_handler():
    t = table(("GET", "/items/:id", "read"))
    assert served_by(t, "HEAD", "/items/3") == ("read", {"id": "3"})


def test_an_explicit_head_handler_wins_over_get():
    t = table(("GET", "/items", "read"), ("HEAD", "/items", "peek"))
    assert served_by(t, "HEAD", "/items")[0] == "peek"


def test_method_missing_on_best_match_falls_through_to_next_match():
    t = table(("GET", "/users/me", "me"), ("POST", "/users/:id", "update"))
    assert served_by(t, "POST", "/users/me") == ("update", {"id": "me"})


def test_trailing_slash_is_a_different_path():
    t = table(("GET", "/hello", "hello"), ("GET", "/users/:id", "user"))
    assert t.match("GET", "/hello/") == NoMatch([])
    assert t.match("GET", "/users/7/") == NoMatch([])


def test_pattern_registered_with_trailing_slash_matches_only_with_it():
    t = table(("GET", "/hello/", "hello"))
    assert served_by(t, "GET", "/hello/")[0] == "hello"
    assert t.match("GET", "/hello") == NoMatch([])
