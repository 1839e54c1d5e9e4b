"""The script editor in /system/admin/: checked in V8 on save, versioned, routes published."""

from html.parser import HTMLParser

import pytest
from django.test import Client

from scripts_app.models import Route, Script, ScriptVersion
from tests.cast import PASSWORD
from tests.conftest import HELLO

ADD = "/system/admin/scripts_app/script/add/"


@pytest.fixture(autouse=True)
def _no_periodic_route_refresh(settings):
    # Only an explicit invalidation may make a change visible in this process,
    # so "at once" cannot pass by waiting for the periodic refresh.
    settings.SCRIPTS = {**settings.SCRIPTS, "ROUTE_REFRESH_SECONDS": 3600}


class _FormFields(HTMLParser):
    """Collect what a browser would submit from the page's main form."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.fields[name] = "on"
            else:
                self.fields[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.fields[name] = ""
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # Browsers drop the newline that follows <textarea>.
            value = self.fields[self._textarea]
            self.fields[self._textarea] = value.removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(response) -> dict:
    assert response.status_code == 200
    parser = _FormFields()
    parser.feed(response.content.decode())
    fields = parser.fields
    fields.pop("q", None)  # the admin's search box, not part of the form
    return fields


@pytest.fixture
def admin_client(cast):
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    return client


def _add(admin_client, cast, name, source):
    fields = form_fields(admin_client.get(ADD))
    fields.update(tenant=str(cast["acme"].pk), name=name, source=source)
    return admin_client.post(ADD, fields)


def _change(admin_client, script, **changes):
    url = f"/system/admin/scripts_app/script/{script.pk}/change/"
    fields = form_fields(admin_client.get(url))
    for name, value in changes.items():
        if value is False:
            fields.pop(name, None)  # an unticked checkbox is not submitted
        else:
            fields[name] = "on" if value is True else value
    return admin_client.post(url, fields)


def test_source_is_edited_in_a_textarea(admin_client):
    page = admin_client.get(ADD)
    assert b'<textarea name="source"' in page.content


def test_add_with_syntax_error_shows_line_and_column_and_stores_nothing(
    admin_client, cast
):
    response = _add(admin_client, cast, "broken", "var a = 1;\nvar b = ;\n")
    assert response.status_code == 200  # the form again, not a redirect
    errors = response.context["adminform"].form.errors
    assert "Unexpected token ';'" in errors["source"][0]
    assert "line 2, column 9" in errors["source"][0]
    assert b"line 2, column 9" in response.content
    assert not Script.objects.exists()
    assert not ScriptVersion.objects.exists()


def test_add_with_a_failing_init_shows_the_error(admin_client, cast):
    source = "function init() {\n  throw new Error('nope');\n}\n"
    response = _add(admin_client, cast, "failing", source)
    assert response.status_code == 200
    assert "nope" in response.context["adminform"].form.errors["source"][0]
    assert not Script.objects.exists()


def test_add_with_valid_source_stores_version_and_routes(admin_client, cast, api):
    response = _add(admin_client, cast, "hello", HELLO)
    assert response.status_code == 302, response.context["adminform"].form.errors
    script = Script.objects.get(tenant=cast["acme"], name="hello")
    assert (script.version, script.source, script.author) == (1, HELLO, cast["root"])
    assert list(script.versions.values_list("number", flat=True)) == [1]
    assert list(Route.objects.values_list("method", "path")) == [("GET", "/hello")]
    assert api(host="acme.test").get("/hello?name=admin").content == b"Hello, admin!"


def test_add_with_a_failed_registration_saves_and_shows_a_warning(admin_client, cast):
    source = HELLO + 'routeRegistry.registerStreamRoute("no-slash");\n'
    response = _add(admin_client, cast, "hello", source)
    assert response.status_code == 302, response.context["adminform"].form.errors
    page = admin_client.get(response.url)
    shown = [str(m) for m in page.context["messages"]]
    assert "Registration refused: path must start with '/': no-slash" in shown
    assert list(Route.objects.values_list("method", "path")) == [("GET", "/hello")]


def test_add_with_a_route_another_script_holds_saves_with_a_warning(
    admin_client, cast, upload, api
):
    # Not a refusal (issue 13): the route stays with the script that holds it.
    upload("hello", HELLO)
    source = HELLO + 'routeRegistry.registerStreamRoute("/system/feed");\n'
    response = _add(admin_client, cast, "rival", source)
    assert response.status_code == 302, response.context["adminform"].form.errors
    page = admin_client.get(response.url)
    shown = [str(m) for m in page.context["messages"]]
    assert (
        "Registration refused: route GET /hello: script 'hello' already serves it"
        in shown
    )
    assert (
        "Registration refused: stream /system/feed: the path is the platform's (reserved)"
        in shown
    )
    assert Script.objects.get(name="rival").registrations["routes"] == []
    assert list(Route.objects.values_list("script__name", "path")) == [
        ("hello", "/hello")
    ]
    assert api(host="acme.test").get("/hello?name=x").content == b"Hello, x!"


def test_changing_the_source_creates_version_two(admin_client, upload, api):
    upload("hello", HELLO)
    script = Script.objects.get(name="hello")
    new_source = HELLO.replace("Hello, ", "Hi, ")
    response = _change(admin_client, script, source=new_source)
    assert response.status_code == 302
    script.refresh_from_db()
    assert (script.version, script.source) == (2, new_source)
    assert list(script.versions.values_list("number", flat=True)) == [2, 1]
    assert api(host="acme.test").get("/hello?name=v2").content == b"Hi, v2!"


def test_browser_line_endings_do_not_make_a_new_version(admin_client, upload):
    upload("hello", HELLO)
    script = Script.objects.get(name="hello")
    # Browsers submit textarea content with CRLF line endings.
    response = _change(admin_client, script, source=HELLO.replace("\n", "\r\n"))
    assert response.status_code == 302
    script.refresh_from_db()
    assert (script.version, script.source) == (1, HELLO)


def test_changing_only_enabled_keeps_the_version_and_drops_the_routes(
    admin_client, upload, api
):
    upload("hello", HELLO)
    visitor = api(host="acme.test")
    assert visitor.get("/hello").status_code == 200  # route table now cached
    script = Script.objects.get(name="hello")
    response = _change(admin_client, script, enabled=False)
    assert response.status_code == 302
    script.refresh_from_db()
    assert (script.enabled, script.version) == (False, 1)
    assert script.versions.count() == 1
    assert visitor.get("/hello").status_code == 404
    _change(admin_client, script, enabled=True)
    assert visitor.get("/hello").status_code == 200


def test_change_with_a_syntax_error_keeps_the_live_version(admin_client, upload, api):
    upload("hello", HELLO)
    script = Script.objects.get(name="hello")
    response = _change(admin_client, script, source="function (\n")
    assert response.status_code == 200
    assert "line 1" in response.context["adminform"].form.errors["source"][0]
    script.refresh_from_db()
    assert (script.version, script.source) == (1, HELLO)
    assert api(host="acme.test").get("/hello").status_code == 200


def test_deleting_in_the_admin_removes_the_route_at_once(admin_client, upload, api):
    upload("hello", HELLO)
    visitor = api(host="acme.test")
    assert visitor.get("/hello").status_code == 200
    script = Script.objects.get(name="hello")
    response = admin_client.post(
        f"/system/admin/scripts_app/script/{script.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Script.objects.exists()
    assert visitor.get("/hello").status_code == 404


def test_bulk_delete_removes_the_routes_at_once(admin_client, upload, api):
    upload("hello", HELLO)
    visitor = api(host="acme.test")
    assert visitor.get("/hello").status_code == 200
    script = Script.objects.get(name="hello")
    response = admin_client.post(
        "/system/admin/scripts_app/script/",
        {"action": "delete_selected", "_selected_action": [script.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert visitor.get("/hello").status_code == 404
