"""/system/api/assets: list, upload, download, delete, with the tenant's role rules."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.assets_app.conftest import png

pytestmark = pytest.mark.django_db

IMAGE = png()


def upload_file(client, filename="logo.png", content=IMAGE, **fields):
    file = SimpleUploadedFile(filename, content, content_type="image/png")
    return client.post(
        "/system/api/assets", {"file": file, **fields}, format="multipart"
    )


def test_a_developer_uploads_a_file_and_it_is_listed(api):
    created = upload_file(api("bob"))
    listed = api("charlie").get("/system/api/assets")

    assert created.status_code == 201
    assert created.json()["name"] == "logo.png"
    assert [(a["name"], a["size"], a["mimetype"]) for a in listed.json()] == [
        ("logo.png", len(IMAGE), "image/png")
    ]


def test_uploading_base64_json_under_a_path_like_name(api):
    body = {"name": "css/site.css", "content": base64.b64encode(b"p{}").decode()}
    created = api("bob").post("/system/api/assets", body, format="json")
    downloaded = api("charlie").get("/system/api/assets/css/site.css")

    assert created.status_code == 201
    assert created.json()["mimetype"] == "text/css"
    assert downloaded.content == b"p{}"
    assert downloaded["Content-Type"] == "text/css"


def test_download_returns_the_bytes_with_type_and_etag(api):
    upload_file(api("bob"))

    reply = api("charlie").get("/system/api/assets/logo.png")

    assert reply.status_code == 200
    assert reply.content == IMAGE
    assert reply["Content-Type"] == "image/png"
    assert reply["ETag"].startswith('"')


def test_put_replaces_an_asset(api):
    upload_file(api("bob"))
    file = SimpleUploadedFile("x.txt", b"new", content_type="text/plain")

    replaced = api("bob").put(
        "/system/api/assets/logo.png", {"file": file}, format="multipart"
    )

    assert replaced.status_code == 200
    assert api("bob").get("/system/api/assets/logo.png").content == b"new"


def test_delete_removes_it_and_a_second_delete_is_404(api):
    upload_file(api("bob"))

    first = api("alice").delete("/system/api/assets/logo.png")
    second = api("alice").delete("/system/api/assets/logo.png")

    assert first.status_code == 204
    assert second.status_code == 404
    assert api("alice").get("/system/api/assets").json() == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "../up.png"}, "must not contain '..'"),
        ({"mimetype": "nonsense"}, "mimetype must be a MIME type"),
    ],
)
def test_invalid_uploads_get_400_with_the_rule(api, fields, message):
    reply = upload_file(api("bob"), **fields)

    assert reply.status_code == 400
    assert message in reply.json()["error"]["message"]


def test_invalid_base64_gets_400(api):
    body = {"name": "a.txt", "content": "not base64!"}
    reply = api("bob").post("/system/api/assets", body, format="json")

    assert reply.status_code == 400
    assert "not valid base64" in reply.json()["error"]["message"]


def test_a_file_over_10_mb_gets_400(api):
    reply = upload_file(api("bob"), content=b"x" * (10 * 1024 * 1024 + 1))

    assert reply.status_code == 400
    assert "the limit is 10485760 bytes" in reply.json()["error"]["message"]


@pytest.mark.parametrize(
    ("user", "status"), [("charlie", 403), ("dave", 403), (None, 401)]
)
def test_only_owners_and_developers_upload(api, user, status):
    assert upload_file(api(user)).status_code == status


@pytest.mark.parametrize(("user", "status"), [("dave", 403), (None, 401)])
def test_outsiders_cannot_list(api, user, status):
    assert api(user).get("/system/api/assets").status_code == status


def test_a_viewer_cannot_delete(api):
    upload_file(api("bob"))

    assert api("charlie").delete("/system/api/assets/logo.png").status_code == 403


def test_another_tenant_sees_none_of_them(api):
    upload_file(api("bob"))

    erin = api("erin", host="globex.test")

    assert erin.get("/system/api/assets").json() == []
    assert erin.get("/system/api/assets/logo.png").status_code == 404
