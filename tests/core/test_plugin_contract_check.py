"""The start-up check refuses what two apps claim twice and what no app claims."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from core.checks import contract_errors
from core.plugins import ScriptPlugin, plugins


class Plugin(ScriptPlugin):
    """A stand-in for an app's AppConfig."""

    def __init__(self, name, path="", **declared):
        self.name = name
        self.path = str(path)
        for attribute, value in declared.items():
            setattr(self, attribute, value)


def module(tmp_path, name, body):
    (tmp_path / f"{name}.js").write_text(f"(function (g, api) {{\n{body}\n}})")
    return {"path": tmp_path, "script_api_js": f"{name}.js"}


def ids(errors):
    return [e.id for e in errors]


def test_the_installed_apps_pass_the_check():
    assert contract_errors(plugins()) == []
    call_command("check")


def test_two_apps_claiming_one_host_call_are_refused():
    errors = contract_errors(
        [
            Plugin("one_app", script_host_calls=("kv.get", "kv.put")),
            Plugin("other_app", script_host_calls=("kv.get",)),
        ]
    )

    assert ids(errors) == ["scripthost.E010"]
    assert "'kv.get' is claimed by one_app and other_app" in errors[0].msg


@pytest.mark.parametrize(
    ("first", "second"), [("kv.", "kv."), ("kv.", "kv.cache."), ("kv.cache.", "kv.")]
)
def test_overlapping_effect_prefixes_are_refused(first, second):
    errors = contract_errors(
        [
            Plugin("one_app", script_effect_prefix=first),
            Plugin("other_app", script_effect_prefix=second),
        ]
    )

    assert ids(errors) == ["scripthost.E011"]
    assert "one_app" in errors[0].msg and "other_app" in errors[0].msg


def test_distinct_effect_prefixes_pass():
    assert (
        contract_errors(
            [
                Plugin("one_app", script_effect_prefix="kv."),
                Plugin("other_app", script_effect_prefix="kvs."),
            ]
        )
        == []
    )


def test_two_modules_defining_one_js_global_are_refused(tmp_path):
    errors = contract_errors(
        [
            Plugin("one_app", **module(tmp_path, "one", 'api.define("kv", {});')),
            Plugin("other_app", **module(tmp_path, "other", 'api.define("kv", 1);')),
        ]
    )

    assert ids(errors) == ["scripthost.E012"]
    assert "JS global 'kv' is claimed by one_app and other_app" in errors[0].msg


def test_a_module_clashing_with_an_installed_apps_global_is_refused(tmp_path):
    fetch = Plugin("my_fetch", **module(tmp_path, "f", 'api.define("fetch", 1);'))

    errors = contract_errors([*plugins(), fetch])

    assert ids(errors) == ["scripthost.E012"]
    assert "'fetch' is claimed by secrets_app and my_fetch" in errors[0].msg


def test_a_module_redefining_an_engine_global_is_refused(tmp_path):
    mine = Plugin("my_utils", **module(tmp_path, "u", 'api.define("utils", 1);'))

    errors = contract_errors([mine])

    assert ids(errors) == ["scripthost.E012"]
    assert "'utils' is claimed by the engine's built-in JS modules and my_utils" in (
        errors[0].msg
    )


def test_two_modules_adding_one_route_registry_member_are_refused(tmp_path):
    member = 'api.contribute("routeRegistry", { registerThing() { return 1; } });'
    errors = contract_errors(
        [
            Plugin("one_app", **module(tmp_path, "one", member)),
            Plugin("other_app", **module(tmp_path, "other", member)),
        ]
    )

    assert ids(errors) == ["scripthost.E012"]
    assert "'routeRegistry.registerThing' is claimed by one_app and other_app" in (
        errors[0].msg
    )


def test_a_host_call_no_app_claims_is_refused(tmp_path):
    source = 'api.define("kv", { get: (k) => api.call("kv.get", [k]) });'

    errors = contract_errors([Plugin("kv_app", **module(tmp_path, "kv", source))])

    assert ids(errors) == ["scripthost.E013"]
    assert "'kv.get'" in errors[0].msg and "kv_app" in errors[0].msg


def test_an_effect_no_app_applies_is_refused(tmp_path):
    source = "api.define(\"kv\", { put: (k) => api.effect('kv.put', {k: k}) });"
    claimed = Plugin("kv_app", **module(tmp_path, "kv", source))

    assert ids(contract_errors([claimed])) == ["scripthost.E014"]
    claimed.script_effect_prefix = "kv."
    assert contract_errors([claimed]) == []


def test_calls_and_effects_another_app_claims_pass(tmp_path):
    source = 'api.define("kv", () => [api.call("kv.get", []), api.effect("kv.put")]);'
    user = Plugin("user_app", **module(tmp_path, "user", source))
    owner = Plugin("kv_app", script_host_calls=("kv.get",), script_effect_prefix="kv.")

    assert contract_errors([user, owner]) == []


@pytest.mark.parametrize(
    ("attribute", "value", "check_id"),
    [
        ("script_route_kinds", ("page",), "scripthost.E015"),
        ("script_capabilities", {"ReadPages": "read pages"}, "scripthost.E016"),
        ("script_execution_kinds", {"cron": "cron"}, "scripthost.E017"),
        ("script_settings", {"PAGES_MAX": 3}, "scripthost.E018"),
    ],
)
def test_route_kinds_capabilities_kinds_and_settings_are_claimed_once(
    attribute, value, check_id
):
    errors = contract_errors(
        [
            Plugin("one_app", **{attribute: value}),
            Plugin("two_app", **{attribute: value}),
        ]
    )

    assert ids(errors) == [check_id]


def test_an_app_setting_may_not_redefine_a_platform_setting():
    errors = contract_errors([Plugin("pool_app", script_settings={"VM_POOL_SIZE": 2})])

    assert ids(errors) == ["scripthost.E018"]
    assert "the platform (core.conf) and pool_app" in errors[0].msg


def test_manage_py_check_fails_on_a_clash(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.core.clashing_app"]

    with pytest.raises(SystemCheckError, match="scripthost.E010") as failure:
        call_command("check")

    assert "'fetch' is claimed by secrets_app and tests.core.clashing_app" in str(
        failure.value
    )
