"""/system/api/schema serves a complete OpenAPI document for the platform's own API."""

from django.core.management import call_command


def test_schema_is_an_openapi_document_listing_the_script_api(api, cast):
    response = api().get("/system/api/schema?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    # The router accepts an optional trailing slash, which the schema shows as "/".
    paths = {
        path.rstrip("/"): operations for path, operations in schema["paths"].items()
    }
    assert {"get", "post"} <= set(paths["/system/api/scripts"])
    assert {"get", "put", "delete"} <= set(paths["/system/api/scripts/{name}"])
    assert "/system/api/scripts/{name}/versions" in paths
    assert "/system/api/logs" in paths
    assert "/system/api/executions" in paths
    assert {"get", "put", "delete"} <= set(paths["/system/scripts/{script_id}"])
    upload = paths["/system/scripts/{script_id}"]["put"]
    assert "application/javascript" in upload["requestBody"]["content"]


def test_schema_needs_no_credentials_and_defaults_to_yaml(api, cast):
    response = api().get("/system/api/schema")
    assert response.status_code == 200
    assert b"/system/api/scripts" in response.content
    assert response.content.startswith(b"openapi:")


def test_schema_generates_without_warnings(tmp_path):
    # Every view must describe itself; an undescribed one is silently dropped.
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert "/system/scripts" in (tmp_path / "s.yaml").read_text()
