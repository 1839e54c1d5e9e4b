"""Data a script sends out of V8 is capped, through the platform (issue 12, hole 4).

An oversized response or buffered write answers the platform's JSON error and
writes nothing; oversized host-call arguments fail the call in the script.
"""

import pytest

from storage_app.models import StoredItem

SOURCE = """
function big(context) {
  return { status: 200, body: "x".repeat(300000) };
}
function bigWrite(context) {
  sharedStorage.setItem("small", "1");
  sharedStorage.setItem("big", "y".repeat(300000));
  return "written";
}
function bigMessage(context) {
  try {
    dispatcher.sendMessage("anything", JSON.stringify({ text: "z".repeat(300000) }));
    return "sent";
  } catch (e) {
    return e.name + ": " + e.message;
  }
}
function fine(context) {
  sharedStorage.setItem("small", "2");
  return { status: 200, body: "x".repeat(1000) };
}
routeRegistry.registerRoute("/big", "big", "GET");
routeRegistry.registerRoute("/big-write", "bigWrite", "POST");
routeRegistry.registerRoute("/big-message", "bigMessage", "POST");
routeRegistry.registerRoute("/fine", "fine", "POST");
"""


@pytest.fixture
def capped(cast, upload, settings):
    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "MAX_OUTPUT_BYTES": 200_000,
        "MAX_HOST_CALL_BYTES": 100_000,
        # Large enough that the storage quota is not what refuses the write.
        "STORAGE_MAX_BYTES_PER_SCRIPT": 10_000_000,
    }
    response = upload("capped", SOURCE)
    assert response.status_code in (200, 201), response.content


def send(api, method, path):
    return api(None, "acme.test").generic(method, path)


def test_a_response_over_the_limit_is_the_platforms_json_error(capped, api):
    response = send(api, "GET", "/big")

    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "script_output_too_large"
    assert "over the limit" in error["message"]
    assert error["requestId"]
    assert len(response.content) < 10_000


def test_buffered_writes_over_the_limit_write_nothing(capped, api):
    response = send(api, "POST", "/big-write")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "script_output_too_large"
    assert not StoredItem.objects.exists()


def test_host_call_arguments_over_the_limit_fail_the_call(capped, api):
    response = send(api, "POST", "/big-message")

    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("RangeError: ")
    assert "over the limit" in text


def test_output_under_the_limits_goes_through(capped, api):
    response = send(api, "POST", "/fine")

    assert response.status_code == 200
    assert len(response.content) == 1000
    assert StoredItem.objects.get(key="small").value == "2"
