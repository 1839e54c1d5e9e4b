"""The plugin base class: an app declares only what it has; the rest does nothing."""

import pytest
from django.apps import apps

from core.plugins import (
    ScriptPlugin,
    api_modules,
    capabilities,
    execution_kinds,
    overriding,
    plugins,
    route_kinds,
    setting_defaults,
)


async def test_a_plugin_that_declares_nothing_provides_nothing():
    plugin = ScriptPlugin()

    assert plugin.script_api_js == ""
    assert plugin.script_host_calls == ()
    assert plugin.script_ops(invocation=None) == {}
    assert plugin.script_effect_prefix == ""
    assert plugin.apply_script_effects(None, [{"kind": "x"}]) is None
    assert plugin.refused_script_paths({"routes": []}) == []
    assert plugin.check_script_registrations(None, "s", {}) == []
    assert plugin.store_script_registrations(None, {}) is None
    assert plugin.script_route_kinds == ()
    assert plugin.script_routes({"assets": [{"path": "/a", "asset": "a"}]}) == []
    assert plugin.script_reserved_paths == ()
    assert await plugin.serves_path(None, "GET", "/") is False
    assert await plugin.serve_path(None, None) is None
    assert plugin.script_capabilities == {}
    assert plugin.script_execution_kinds == {}
    assert plugin.script_settings == {}
    assert plugin.script_admin_links(script=None) == []


def test_every_feature_app_is_a_plugin_in_installed_apps_order():
    names = [p.name for p in plugins()]

    assert names == [
        "scripts_app",
        "assets_app",
        "storage_app",
        "streams_app",
        "secrets_app",
        "graphql_app",
        "triggers_app",
        "scheduler_app",
        "documents_app",
    ]
    assert all(isinstance(p, ScriptPlugin) for p in plugins())


def test_only_apps_that_override_a_method_are_asked():
    assert [p.name for p in overriding("serve_path")] == ["streams_app"]
    assert [p.name for p in overriding("script_routes")] == ["assets_app"]
    assert "secrets_app" not in [p.name for p in overriding("apply_script_effects")]


def test_the_apps_declarations_are_gathered_in_their_order():
    assert list(capabilities()) == ["ReadAssets", "WriteAssets", "DeleteAssets"]
    assert execution_kinds() == {
        "http": "http",
        "manual": "cron",
        "listener": "http",
        "stream": "http",
        "resolver": "http",
        "pre-processing": "pre-processing",
        "post-processing": "http",
        "custom": "http",
        "scheduled": "cron",
    }
    assert route_kinds() == {"asset": apps.get_app_config("assets_app")}
    assert setting_defaults()["STORAGE_MAX_KEYS_PER_SCRIPT"] == 10_000
    assert len(api_modules()) == len([p for p in plugins() if p.script_api_js])


def test_an_apps_reserved_paths_are_kept_from_scripts():
    from scripts_app.routing import reserved, reserved_prefixes

    assert reserved_prefixes()[-2:] == ("/graphql", "/store")  # the apps'
    assert reserved("/graphql") and reserved("/graphql/sse")
    assert reserved("/store") and reserved("/store/assets/pump-1")
    assert not reserved("/graphqlish") and not reserved("/storefront")


def test_an_app_that_declares_nothing_changes_nothing(settings):
    before = (api_modules(), capabilities(), execution_kinds(), setting_defaults())

    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.core.empty_app"]

    assert plugins()[-1].name == "tests.core.empty_app"
    assert (api_modules(), capabilities(), execution_kinds(), setting_defaults()) == (
        before
    )
    assert "tests.core.empty_app" not in [p.name for p in overriding("script_ops")]


@pytest.mark.django_db
def test_each_app_builds_exactly_the_host_calls_it_declares(cast):
    from scripts_app.hosting import Invocation

    invocation = Invocation(
        tenant=cast["acme"], script_id=1, script_name="s", kind="http"
    )
    for plugin in plugins():
        assert set(plugin.script_ops(invocation)) == set(plugin.script_host_calls), (
            plugin.name
        )
