"""static/scripthost/scripthost.d.ts declares exactly what a real script can reach."""

import json

import pytest

from scripts_app import typedefs
from tests.scripts_app.script_globals import V8_BUILTINS, script_globals


@pytest.fixture(scope="module")
def definitions():
    return typedefs.read(typedefs.DTS.read_text())


def declared_paths(definitions) -> set[str]:
    """Every name the .d.ts declares, as paths the probe can look up."""
    paths = set()
    for name, found in definitions.globals.items():
        paths.add(name)
        for member in definitions.members_of(name):
            paths.add(
                f"{name}#{member}" if found.kind == "class" else f"{name}.{member}"
            )
        if not is_host_object(definitions, name):
            continue  # data (context): its shape depends on what started the run
        for member, nested in definitions.nested(name).items():
            paths.update(f"{name}.{member}.{inner}" for inner in nested)
    return paths


def is_host_object(definitions, name) -> bool:
    """An API object (with methods), as the probe tells them from data."""
    return any(m.kind == "method" for m in definitions.members_of(name).values())


@pytest.fixture
def seen(cast, definitions):
    return script_globals(cast["acme"], cast["root"], declared_paths(definitions))


def platform_globals(seen) -> dict:
    """The globals a script sees that JavaScript itself does not give."""
    return {
        name: entry
        for name, entry in seen["globals"].items()
        if name not in V8_BUILTINS and not name.startswith("__")
    }


def test_every_global_a_script_sees_is_declared(seen, definitions):
    missing = set(platform_globals(seen)) - set(definitions.globals)
    assert not missing, f"add to scripthost.d.ts: {sorted(missing)}"


def test_every_declared_name_exists_in_a_real_run(seen):
    assert seen["unreachable"] == [], "scripthost.d.ts declares what scripts lack"


def test_every_member_of_every_host_object_is_declared(seen, definitions):
    undeclared = []
    for name, entry in platform_globals(seen).items():
        declared = definitions.members_of(name)
        nested = definitions.nested(name)
        own = entry["proto"] if definitions.globals[name].kind == "class" else []
        if definitions.globals[name].kind != "class":
            own = entry["members"]
        undeclared += [f"{name}.{m}" for m in own if m not in declared]
        for member, inner in entry["nested"].items():
            undeclared += [
                f"{name}.{member}.{m}" for m in inner if m not in nested.get(member, {})
            ]
    assert not undeclared, f"add to scripthost.d.ts: {undeclared}"


def test_the_builtin_list_names_only_what_v8_has(seen):
    # Keeps V8_BUILTINS exact, so it cannot hide a platform global by accident.
    assert set(seen["globals"]) >= V8_BUILTINS


def test_the_probe_sees_the_platform_apis_it_must(seen):
    # A probe that saw nothing would pass the tests above.
    apis = platform_globals(seen)
    assert {"routeRegistry", "sharedStorage", "db", "$", "context", "o"} <= set(apis)
    assert "registerRoute" in apis["routeRegistry"]["members"]


def test_the_editors_completions_are_the_type_definitions():
    committed = json.loads(typedefs.COMPLETIONS.read_text())
    assert committed == typedefs.completions(typedefs.DTS.read_text()), (
        "static/scripthost/editor/completions.json is stale: run make editor"
    )


def test_completions_list_members_and_nested_members():
    found = typedefs.completions(typedefs.DTS.read_text())["globals"]
    assert "registerRoute" in found["routeRegistry"]["members"]
    assert (
        "(path: string" in found["routeRegistry"]["members"]["registerRoute"]["detail"]
    )
    assert "hash" in found["utils"]["members"]["crypto"]["members"]
    assert "decode" in found["TextDecoder"]["members"]


def test_a_line_the_reader_cannot_read_is_an_error():
    with pytest.raises(ValueError, match="line 2"):
        typedefs.read("interface X {\n  ???\n}\n")
