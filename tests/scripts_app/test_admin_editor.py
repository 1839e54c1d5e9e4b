"""The script page's editor: what the server gives it, and a refused save."""

import json
import re

from scripts_app.models import Script, ScriptVersion
from tests.conftest import HELLO
from tests.scripts_app.test_admin_scripts import (  # noqa: F401 - a fixture
    ADD,
    _add,
    _change,
    admin_client,
)

BROKEN = HELLO.replace('return "Hello, " + name + "!";', 'return "Hello, " + ;')


def editor_config(response) -> dict:
    """The JSON block the editor reads (json_script), as the page carries it."""
    found = re.search(
        rb'<script id="scripthost-editor-config" type="application/json">(.*?)</script>',
        response.content,
        re.S,
    )
    assert found, "no editor config on the page"
    return json.loads(found.group(1))


def test_the_page_loads_the_editor_over_the_source_textarea(admin_client):  # noqa: F811
    page = admin_client.get(ADD)
    assert b'<textarea name="source"' in page.content  # still the form field
    assert b"/static/scripthost/editor/editor.js" in page.content
    assert b"/static/scripthost/editor/editor.css" in page.content
    config = editor_config(page)
    assert config["completionsUrl"] == "/static/scripthost/editor/completions.json"
    assert config["error"] is None


def test_the_add_page_offers_the_templates_and_the_change_page_does_not(
    admin_client,  # noqa: F811
    upload,
):
    add = admin_client.get(ADD)
    assert len(editor_config(add)["templates"]) == 6
    assert b'id="scripthost-template-picker"' in add.content
    assert b'href="?template=route"' in add.content  # without JavaScript
    upload("hello", HELLO)
    script = Script.objects.get(name="hello")
    change = admin_client.get(f"/system/admin/scripts_app/script/{script.pk}/change/")
    assert editor_config(change)["templates"] == []
    assert b"scripthost-template-picker" not in change.content


def test_a_refused_save_gives_the_editor_line_and_column(admin_client, cast):  # noqa: F811
    response = _add(admin_client, cast, "broken", BROKEN)
    assert response.status_code == 200
    error = editor_config(response)["error"]
    assert (error["line"], error["column"]) == (5, 22)  # the ";"
    assert "line 5, column 22" in error["message"]
    assert "Unexpected token ';'" in error["message"]


def test_a_refused_header_gives_the_editor_its_line(admin_client, cast):  # noqa: F811
    source = "/**\n * @cron 0 25 * * *\n */\nasync function main() {}\n"
    response = _add(admin_client, cast, "bad-cron", source)
    assert response.status_code == 200
    error = editor_config(response)["error"]
    assert error["line"] == 2
    assert "@cron" in error["message"]


def test_a_refused_save_keeps_the_live_version_serving(admin_client, upload, api):  # noqa: F811
    upload("hello", HELLO)
    visitor = api(host="acme.test")
    assert visitor.get("/hello?name=v1").content == b"Hello, v1!"
    script = Script.objects.get(name="hello")

    response = _change(admin_client, script, source=BROKEN)

    assert response.status_code == 200  # the form again, with the error
    assert editor_config(response)["error"]["line"] == 5
    script.refresh_from_db()
    assert (script.version, script.source) == (1, HELLO)
    assert ScriptVersion.objects.filter(script=script).count() == 1
    assert visitor.get("/hello?name=v1").content == b"Hello, v1!"
    assert api(host="acme.test").get("/hello?name=fresh").content == b"Hello, fresh!"
