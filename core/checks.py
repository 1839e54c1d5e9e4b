"""Start-up checks of the plugin contract: nothing claimed twice, nothing unclaimed.

Two apps answering the same host call, applying the same effects or defining
the same JS global would silently take each other's place; a host call or an
effect that no app claims would fail every script that uses it. Both are
refused when the server starts (`manage.py check`).
"""

from __future__ import annotations

import re

from django.core.checks import Error, register

from core import conf
from core.plugins import api_module, plugins

# The literal names a JS module passes to the prelude's api handle.
_CALL = re.compile(r"""\bapi\.call\(\s*(["'])([^"'\\]+)\1""")
_EFFECT = re.compile(r"""\bapi\.effect\(\s*(["'])([^"'\\]+)\1""")

HINT = "Rename one of them, or take one app out of INSTALLED_APPS."


@register()
def plugin_contract(app_configs, **kwargs):
    return contract_errors(plugins())


def contract_errors(found) -> list[Error]:
    """Every way the plugins `found` break the contract (core.plugins)."""
    modules = [(p, api_module(p)) for p in found if p.script_api_js]
    return [
        *_claimed_twice(
            "host call",
            "scripthost.E010",
            ((name, p) for p in found for name in p.script_host_calls),
        ),
        *_overlapping_prefixes(found),
        *_globals_defined_twice(modules),
        *_unclaimed(found, modules),
        *_claimed_twice(
            "route kind",
            "scripthost.E015",
            ((kind, p) for p in found for kind in p.script_route_kinds),
        ),
        *_claimed_twice(
            "capability",
            "scripthost.E016",
            ((name, p) for p in found for name in p.script_capabilities),
        ),
        *_claimed_twice(
            "execution kind",
            "scripthost.E017",
            ((kind, p) for p in found for kind in p.script_execution_kinds),
        ),
        *_settings_defined_twice(found),
    ]


class _Owner:
    """Something other than an app that claims names (the engine's modules)."""

    def __init__(self, name: str):
        self.name = name


def _claimed_twice(what: str, check_id: str, claims) -> list[Error]:
    owners: dict[str, list[str]] = {}
    for name, plugin in claims:
        owners.setdefault(name, []).append(plugin.name)
    return [
        Error(f"The {what} '{name}' is claimed by {_both(apps)}.", HINT, id=check_id)
        for name, apps in owners.items()
        if len(apps) > 1
    ]


def _overlapping_prefixes(found) -> list[Error]:
    """Effect prefixes where one app's kinds could be another's ("a." and "a.b.")."""
    claims = [(p.script_effect_prefix, p) for p in found if p.script_effect_prefix]
    errors = []
    for i, (prefix, plugin) in enumerate(claims):
        for other, other_plugin in claims[i + 1 :]:
            if prefix.startswith(other) or other.startswith(prefix):
                errors.append(
                    Error(
                        f"The effect prefixes '{prefix}' of {plugin.name} and "
                        f"'{other}' of {other_plugin.name} overlap: an effect "
                        "kind would belong to both.",
                        HINT,
                        id="scripthost.E011",
                    )
                )
    return errors


def _globals_defined_twice(modules) -> list[Error]:
    """JS globals, api.provide values and routeRegistry members two modules define."""
    if not modules:
        return []
    try:
        from engine.context import builtin_modules, module_exports

        # The engine's own modules first: apps' modules may use what they
        # provide (api.need), and may not redefine their globals either.
        engine = _Owner("the engine's built-in JS modules")
        modules = [(engine, source) for source in builtin_modules()] + list(modules)
        defined = module_exports(tuple(source for _, source in modules))
    except Exception as exc:  # noqa: BLE001 - reported: the modules do not load
        return [
            Error(
                f"The apps' JS API modules cannot be loaded together: {exc}",
                id="scripthost.E012",
            )
        ]
    return _claimed_twice(
        "JS global",
        "scripthost.E012",
        (
            (name, plugin)
            for (plugin, _), made in zip(modules, defined, strict=True)
            for name in (
                *made["globals"],
                *(f"{v} (api.provide)" for v in made["provides"]),
                *(f"{obj}.{member}" for obj, member in made["contributes"]),
            )
        ),
    )


def _unclaimed(found, modules) -> list[Error]:
    """Host calls and effects the JS modules use that no app claims."""
    calls = {name for p in found for name in p.script_host_calls}
    prefixes = tuple(p.script_effect_prefix for p in found if p.script_effect_prefix)
    errors = []
    for plugin, source in modules:
        for name in dict.fromkeys(m[2] for m in _CALL.finditer(source)):
            if name not in calls:
                errors.append(
                    Error(
                        f"{plugin.name}'s JS module calls the host call '{name}', "
                        "which no installed app claims (script_host_calls).",
                        "Declare it in the app that answers it, or install that app.",
                        id="scripthost.E013",
                    )
                )
        for kind in dict.fromkeys(m[2] for m in _EFFECT.finditer(source)):
            if not kind.startswith(prefixes):
                errors.append(
                    Error(
                        f"{plugin.name}'s JS module makes '{kind}' effects, which "
                        "no installed app applies (script_effect_prefix).",
                        "Give the app that applies them that prefix, or install it.",
                        id="scripthost.E014",
                    )
                )
    return errors


def _settings_defined_twice(found) -> list[Error]:
    platform = _Platform()
    return _claimed_twice(
        "setting",
        "scripthost.E018",
        (
            *((key, platform) for key in conf.DEFAULTS),
            *((key, p) for p in found for key in p.script_settings),
        ),
    )


class _Platform:
    name = "the platform (core.conf)"


def _both(apps: list[str]) -> str:
    return " and ".join([", ".join(apps[:-1]), apps[-1]])
