"""Every role and object grant against every entry point, from one table.

ALLOWED below is written by hand from the rules in docs/operations.md
("Permissions"); it is not computed by scripts_app.policy. Each case logs a
member of the cast into one entry point (the admin, /system/api/scripts with
its run endpoint, the Predix /system/scripts, /graphql) and tries one action
on acme's script "target": the action must succeed exactly when the table
allows it, and a refusal must be a refusal (403/404, the admin's redirect, a
GraphQL permission error), never an error, with the script left as it was.
"""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from guardian.shortcuts import assign_perm

from scripts_app import policy
from scripts_app.models import Script
from tests.cast import PASSWORD

SOURCE = """async function main(context) {
  return {ran: true};
}
"""
CHANGED = SOURCE + "\nfunction other() { return 2; }\n"

ALL = {"view", "change", "delete", "execute"}

# Who: (user, grant) where grant is None or (to, codename), to "user"/"group".
SUBJECTS = {
    "owner": ("alice", None),
    "developer": ("bob", None),
    "viewer": ("charlie", None),
    "no role": ("dave", None),
    "superuser": ("root", None),
    "view grant to user": ("dave", ("user", "view_script")),
    "change grant to user": ("dave", ("user", "change_script")),
    "delete grant to user": ("dave", ("user", "delete_script")),
    "execute grant to user": ("dave", ("user", "execute_script")),
    "view grant via group": ("dave", ("group", "view_script")),
    "change grant via group": ("dave", ("group", "change_script")),
    "delete grant via group": ("dave", ("group", "delete_script")),
    "execute grant via group": ("dave", ("group", "execute_script")),
    "viewer with execute grant": ("charlie", ("user", "execute_script")),
    "owner of another tenant": ("erin", None),
}

# What each may do with acme's script: the rules, written out.
ALLOWED = {
    "owner": ALL,
    "developer": ALL,
    "viewer": {"view"},
    "no role": set(),
    "superuser": ALL,
    "view grant to user": {"view"},
    "change grant to user": {"view", "change"},
    "delete grant to user": {"view", "delete"},
    "execute grant to user": {"view", "execute"},
    "view grant via group": {"view"},
    "change grant via group": {"view", "change"},
    "delete grant via group": {"view", "delete"},
    "execute grant via group": {"view", "execute"},
    "viewer with execute grant": {"view", "execute"},
    "owner of another tenant": set(),
}

ENTRY_POINTS = {
    "admin": ("view", "change", "delete", "execute"),
    "rest": ("view", "change", "delete", "execute"),
    "predix": ("view", "change", "delete"),
    "graphql": ("view", "change", "delete", "execute"),
}


def _cases():
    for entry, actions in ENTRY_POINTS.items():
        for subject in SUBJECTS:
            for action in actions:
                marks = []
                if (entry, action) == ("rest", "execute"):
                    # The run goes on in the runs loop's thread, which reads
                    # the script through its own connection: committed rows.
                    marks = [pytest.mark.django_db(transaction=True)]
                yield pytest.param(
                    entry,
                    subject,
                    action,
                    id=f"{entry}-{subject}-{action}",
                    marks=marks,
                )


@pytest.fixture
def target(cast, upload):
    assert upload("target", SOURCE).status_code == 201
    return Script.objects.get(tenant=cast["acme"], name="target")


def _as(cast, subject, target):
    """Set the subject up (staff, its grant); return its username."""
    name, grant = SUBJECTS[subject]
    user = cast[name]
    user.is_staff = True  # the admin's door; rights come from the policy
    user.save()
    if grant is not None:
        to, codename = grant
        if to == "user":
            assign_perm(f"scripts_app.{codename}", user, target)
        else:
            group = Group.objects.create(name=f"ops-{codename}")
            group.user_set.add(user)
            assign_perm(f"scripts_app.{codename}", group, target)
    return name


def _unchanged(target):
    script = Script.objects.filter(pk=target.pk).first()
    return script is not None and script.version == 1 and script.enabled


# -- the admin (Django's test client, logged in) --------------------------------

ADMIN = "/system/admin/scripts_app/script/"


def _admin(name):
    client = Client()
    assert client.login(username=name, password=PASSWORD)
    return client


def _admin_try(client, action, target):
    page = f"{ADMIN}{target.pk}/change/"
    if action == "view":
        response = client.get(page)
        listed = client.get(ADMIN)
        shown = listed.status_code == 200 and page in listed.content.decode()
        assert response.status_code in (200, 302, 403)  # 302: "does not exist"
        assert shown == (response.status_code == 200)
        return response.status_code == 200
    if action == "change":
        form = {
            "source": SOURCE,
            "capabilities": [],
            "routes-TOTAL_FORMS": "0",
            "routes-INITIAL_FORMS": "0",
        }  # "enabled" left out: unticked, so an allowed change disables it
        response = client.post(page, form)
        assert response.status_code in (302, 403), response.status_code
        changed = not Script.objects.get(pk=target.pk).enabled
        return changed
    if action == "delete":
        response = client.post(f"{ADMIN}{target.pk}/delete/", {"post": "yes"})
        assert response.status_code in (302, 403)
        return not Script.objects.filter(pk=target.pk).exists()
    if action == "execute":
        run = f"{ADMIN}{target.pk}/run/"
        shown = client.get(page)
        response = client.post(run, {"handler": "main", "args": ""})
        assert response.status_code in (200, 403, 404)
        ran = response.status_code == 200 and response.context["result"].ok
        if shown.status_code == 200:  # the Run button: there iff they may run
            assert (run in shown.content.decode()) == ran
        return ran
    raise AssertionError(action)


# -- /system/api/scripts (DRF, token) ------------------------------------------


def _rest_try(client, action, target):
    url = "/system/api/scripts/target"
    if action == "view":
        response = client.get(url)
        listed = client.get("/system/api/scripts")
        ids = [s["id"] for s in listed.json()] if listed.status_code == 200 else []
        assert response.status_code in (200, 403, 404)
        assert ("target" in ids) == (response.status_code == 200)
        return response.status_code == 200
    if action == "change":
        response = client.put(url, {"source": CHANGED}, format="json")
        assert response.status_code in (200, 403, 404)
        return Script.objects.get(pk=target.pk).version == 2
    if action == "delete":
        response = client.delete(url)
        assert response.status_code in (204, 403, 404)
        return not Script.objects.filter(pk=target.pk).exists()
    if action == "execute":
        response = client.post(f"{url}/run", {"handler": "main"}, format="json")
        assert response.status_code in (200, 403, 404), response.content
        return response.status_code == 200 and response.json()["result"] == {
            "ran": True
        }
    raise AssertionError(action)


# -- /system/scripts (Predix) ---------------------------------------------------


def _predix_try(client, action, target):
    url = "/system/scripts/target"
    if action == "view":
        response = client.get(url)
        assert response.status_code in (200, 403, 404)
        return response.status_code == 200 and response.content == SOURCE.encode()
    if action == "change":
        response = client.put(
            url, data=CHANGED.encode(), content_type="application/javascript"
        )
        assert response.status_code in (200, 403, 404)
        return Script.objects.get(pk=target.pk).version == 2
    if action == "delete":
        response = client.delete(url)
        assert response.status_code in (204, 403, 404)
        return not Script.objects.filter(pk=target.pk).exists()
    raise AssertionError(action)


# -- /graphql --------------------------------------------------------------------

QUERIES = {
    "view": ('query { script(uri: "target") { uri content } }', "script"),
    "change": (
        'mutation($c: String!) { upsertScript(uri: "target", content: $c)'
        " { success message } }",
        "upsertScript",
    ),
    "delete": (
        'mutation { deleteScript(uri: "target") { success message } }',
        "deleteScript",
    ),
    "execute": (
        'mutation { runScript(id: "target", handler: "main") { success result } }',
        "runScript",
    ),
}


def _graphql_try(client, action, target):
    query, field = QUERIES[action]
    response = client.post(
        "/graphql", {"query": query, "variables": {"c": CHANGED}}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    for error in body.get("errors", []):
        assert error["extensions"]["code"] == "permission_denied", error
    value = (body.get("data") or {}).get(field)
    if action == "view":
        return value is not None and value["content"] == SOURCE
    return bool(value and value["success"])


@pytest.mark.parametrize(("entry", "subject", "action"), list(_cases()))
def test_each_entry_point_allows_exactly_what_the_table_says(
    cast, api, target, entry, subject, action
):
    name = _as(cast, subject, target)
    if entry == "admin":
        done = _admin_try(_admin(name), action, target)
    else:
        tries = {"rest": _rest_try, "predix": _predix_try, "graphql": _graphql_try}
        done = tries[entry](api(name), action, target)
    assert done == (action in ALLOWED[subject])
    if not done and action != "view":
        assert _unchanged(target)


@pytest.mark.parametrize("subject", list(SUBJECTS))
def test_the_policy_answers_as_the_table_says(cast, target, subject):
    user = cast[_as(cast, subject, target)]
    assert {a for a in ALL if policy.can(user, a, target)} == ALLOWED[subject]
    visible = policy.scripts_visible_to(user, cast["acme"])
    assert visible.filter(pk=target.pk).exists() == ("view" in ALLOWED[subject])
