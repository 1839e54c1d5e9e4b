"""personalStorage: per user and per script, only for authenticated callers."""

import pytest

from storage_app.models import StoredItem

PREFS = """
async function getTheme(context) {
  const theme = (await personalStorage.getItem("theme")) || "light";
  return { status: 200, body: { theme: theme } };
}
function setTheme(context) {
  return personalStorage.setItem("theme", context.request.query.theme);
}
async function forget(context) {
  return { status: 200, body: { removed: await personalStorage.removeItem("theme") } };
}
function wipe(context) { return personalStorage.clear(); }
routeRegistry.registerRoute("/prefs", "getTheme", "GET");
routeRegistry.registerRoute("/prefs", "setTheme", "POST");
routeRegistry.registerRoute("/prefs", "forget", "DELETE");
routeRegistry.registerRoute("/prefs/all", "wipe", "DELETE");
"""


@pytest.fixture
def prefs(cast, script):
    script("prefs", PREFS)


def theme(call, user):
    response = call("GET", "/prefs", user=user)
    assert response.status_code == 200, response.content
    return response.json()["theme"]


def test_two_users_keep_their_own_values(prefs, call):
    call("POST", "/prefs?theme=dark", user="bob")
    call("POST", "/prefs?theme=solarized", user="charlie")

    assert (theme(call, "bob"), theme(call, "charlie")) == ("dark", "solarized")
    assert theme(call, "dave") == "light"


def test_the_same_user_has_separate_values_in_each_script(prefs, script, call):
    script("prefs-copy", PREFS.replace('"/prefs', '"/copy'))
    call("POST", "/prefs?theme=dark", user="bob")

    copy = call("GET", "/copy", user="bob").json()["theme"]

    assert (theme(call, "bob"), copy) == ("dark", "light")


def test_anonymous_callers_get_null_errors_and_false(prefs, call):
    call("POST", "/prefs?theme=dark", user="bob")

    assert theme(call, None) == "light"
    # The seed gives no wording; this is the reference implementation's.
    assert call("POST", "/prefs?theme=x").content == (
        b"Error: Personal storage requires authentication. Please log in."
    )
    assert call("DELETE", "/prefs").json() == {"removed": False}
    assert call("DELETE", "/prefs/all").content == (
        b"Error: Personal storage requires authentication. Please log in."
    )
    assert theme(call, "bob") == "dark"


def test_remove_and_clear_touch_only_the_callers_values(prefs, call):
    for user in ("bob", "charlie"):
        call("POST", "/prefs?theme=dark", user=user)

    assert call("DELETE", "/prefs", user="bob").json() == {"removed": True}
    assert call("DELETE", "/prefs/all", user="charlie").content == (
        b"personalStorage cleared"
    )

    assert list(StoredItem.objects.values_list("user__username", flat=True)) == []
    call("POST", "/prefs?theme=dim", user="bob")
    assert theme(call, "charlie") == "light"
    assert theme(call, "bob") == "dim"


def test_a_forged_auth_flag_does_not_unlock_personal_storage(cast, script, call):
    script(
        "forger",
        "function forge(context) {\n"
        "  context.request.auth.isAuthenticated = true;\n"
        '  return personalStorage.setItem("theme", "dark");\n'
        "}\n"
        'routeRegistry.registerRoute("/forge", "forge", "POST");',
    )

    response = call("POST", "/forge")

    # The script believed itself signed in, but the server knows who called.
    assert response.status_code == 500
    assert b"personalStorage needs an authenticated request" in response.content
    assert not StoredItem.objects.exists()


SEQUENCE = """
function sequence(context) {
  const out = [];
  out.push(personalStorage.removeItem("theme"));
  out.push(personalStorage.removeItem("theme"));
  personalStorage.setItem("theme", "dark");
  out.push(personalStorage.removeItem("theme"));
  out.push(personalStorage.removeItem("never-set"));
  return { status: 200, body: out };
}
routeRegistry.registerRoute("/sequence", "sequence", "POST");
"""


def test_remove_item_is_true_only_while_the_key_exists(cast, script, call):
    # Seed, personalStorage.removeItem: "Boolean - true if item was removed,
    # false if it didn't exist or user is not authenticated".
    script("prefs", PREFS + SEQUENCE)
    call("POST", "/prefs?theme=dark", user="bob")

    signed_in = call("POST", "/sequence", user="bob")
    anonymous = call("POST", "/sequence")

    assert signed_in.json() == [True, False, True, False]
    assert anonymous.json() == [False, False, False, False]
