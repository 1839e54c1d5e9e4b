"""A viewer in headless Chromium: no Run button, a forged run refused, until a grant.

The viewer signs in to the admin (is_staff, the viewer role in the default
tenant), sees the script but no "Run now" and no "Object permissions"; a run
POSTed by hand with their session and CSRF token, to the admin's run page and
to the REST run endpoint, is refused and runs nothing. The admin (superuser)
then grants them execute on that one script on guardian's object-permissions
page, and the Run button appears for them.
"""

import re

import pytest

from tests.e2e.servers import ADMIN_PASSWORD, put_script
from tests.e2e.test_asset_route_browser import chromium  # noqa: F401 - a fixture

pytestmark = pytest.mark.server

SOURCE = """// @type one-off
async function main(context) {
  console.log("ran by " + context.user.name);
  return {ran: true};
}
"""
VIEWER = "e2e-viewer"
VIEWER_PASSWORD = "e2e-viewer-password"

MAKE_VIEWER = f"""
from django.contrib.auth import get_user_model
from core.conf import scripts_setting
from tenants.models import Membership, Role, Tenant
user, _ = get_user_model().objects.get_or_create(username={VIEWER!r})
user.is_staff = True
user.set_password({VIEWER_PASSWORD!r})
user.save()
tenant = Tenant.objects.get(slug=scripts_setting("DEFAULT_TENANT"))
Membership.objects.update_or_create(
    user=user, tenant=tenant, defaults={{"role": Role.VIEWER}}
)
"""

FORGE = """async ([url, body]) => {
  // The cookie is HttpOnly: take the token from the page's form, as a
  // forger with the page open would.
  const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const response = await fetch(url, {
    method: "POST",
    headers: {"X-CSRFToken": token, "Content-Type": body[0]},
    body: body[1],
    credentials: "same-origin",
  });
  return response.status;
}"""


def _sign_in(page, server, username, password):
    page.goto(f"{server.url}/system/admin/login/?next=/system/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}/system/admin/")


def _open_script(page, server, name):
    page.goto(f"{server.url}/system/admin/scripts_app/script/?q={name}")
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(re.compile(r"/change/"))
    return page.url.split("/change/")[0].rsplit("/", 1)[-1]  # the script's pk


def _executions(server, name) -> int:
    with server.client() as client:
        response = client.get(
            "/system/api/executions", params={"script": name}, headers=server.auth
        )
    return response.json()["count"]


def test_a_viewer_gets_no_run_button_and_a_forged_run_is_refused(
    server,
    chromium,  # noqa: F811 - the fixture imported above
):
    server.database.manage("shell", "-c", MAKE_VIEWER)
    assert put_script(server, "perm-viewer", SOURCE).status_code in (200, 201)
    viewer = chromium.new_context().new_page()
    problems = []
    viewer.on("pageerror", lambda e: problems.append(str(e)))
    _sign_in(viewer, server, VIEWER, VIEWER_PASSWORD)

    pk = _open_script(viewer, server, "perm-viewer")
    assert viewer.get_by_role("link", name="Run now").count() == 0
    assert viewer.get_by_role("link", name="Object permissions").count() == 0
    # The source is there to read, not to save.
    assert viewer.locator("input[name=_save]").count() == 0

    run_page = f"/system/admin/scripts_app/script/{pk}/run/"
    form = ["application/x-www-form-urlencoded", "handler=main&args="]
    assert viewer.evaluate(FORGE, [run_page, form]) == 403
    api_run = "/system/api/scripts/perm-viewer/run"
    assert viewer.evaluate(FORGE, [api_run, ["application/json", "{}"]]) == 403
    assert _executions(server, "perm-viewer") == 0

    # The tenant's owner (here the superuser) grants execute on this script.
    owner = chromium.new_context().new_page()
    _sign_in(owner, server, "admin", ADMIN_PASSWORD)
    _open_script(owner, server, "perm-viewer")
    owner.get_by_role("link", name="Object permissions").click()
    owner.fill("#id_user", VIEWER)
    owner.click("input[name=submit_manage_user]")
    owner.wait_for_url("**/permissions/user-manage/**")
    owner.wait_for_load_state("load")
    # Django's two-box widget renames the select to _from once its script ran
    # (on "load"); without it the plain select is there.
    widget = owner.locator("#id_permissions_from").count() > 0
    select = "#id_permissions_from" if widget else "#id_permissions"
    # The four grants of scripts_app.policy, "add" not among them.
    options = owner.locator(f"{select} option")
    assert options.evaluate_all("os => os.map((o) => o.value)") == [
        "view_script",
        "change_script",
        "delete_script",
        "execute_script",
    ]
    owner.select_option(select, "execute_script")
    if widget:
        owner.locator("#id_permissions_add").click()
    owner.click("#submit")
    owner.get_by_text(VIEWER).first.wait_for()

    viewer.reload()
    viewer.get_by_role("link", name="Run now").click()
    viewer.wait_for_url("**/run/")
    viewer.click("input[type=submit][value='Run now']")
    viewer.locator("#run_status").wait_for(timeout=15_000)
    assert viewer.inner_text("#run_status") == "ok"
    assert f"ran by {VIEWER}" in viewer.inner_text("#run_logs")
    assert problems == []
