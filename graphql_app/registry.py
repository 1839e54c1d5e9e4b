"""GraphQL registrations: checked and merged at upload, stored with the version.

scripts_app.services calls these through the app's hooks. `check` parses
every fragment the upload registers as one set of types (a type defined by
one registration may be used by the script's others: merge.script_fragments),
then merges the tenant's other scripts' fragments with them, as the tenant's
schema will be built. A registration whose SDL is wrong, that defines a type
differently from the script's other registrations (naming the type and both
registrations), or that clashes with another script's (naming both scripts:
the other script keeps its operation) is dropped from the upload with a
warning (core.plugins.Refused); the rest are stored, and the schema in
service never holds a registration that breaks it.
"""

from __future__ import annotations

from core.plugins import Refused
from graphql_app.merge import Merger, script_fragments
from graphql_app.models import GraphQLOperation


def entries(registrations: dict) -> list[dict]:
    return list(registrations.get("graphql") or [])


def check(tenant, name: str, registrations: dict) -> list[Refused]:
    """The GraphQL registrations of this upload that cannot be served."""
    mine = entries(registrations)
    if not mine:
        return []
    by_key = {(entry["kind"], entry["name"]): entry for entry in mine}

    def refuse(key, problem: str) -> Refused:
        kind, op = key
        return Refused("graphql", by_key[key], f"GraphQL {kind} '{op}': {problem}")

    own = script_fragments(
        name, [(entry["kind"], entry["name"], entry["sdl"]) for entry in mine]
    )
    refused = [refuse((kind, op), problem) for kind, op, problem in own.refused]
    others = _others(tenant, name)
    merger = _merger(others)
    kept = []
    for key, fragment in own.fragments.items():
        problems = merger.add(fragment)
        if problems:
            refused.append(refuse(key, "; ".join(problems)))
        else:
            kept.append((key, fragment))
    try:
        merger.schema()
    except (TypeError, ValueError):  # graphql-core's words for a bad schema
        refused += _unbuildable(others, kept, refuse)
    return refused


def _unbuildable(others: list, kept: list, refuse) -> list[Refused]:
    """Add the fragments one by one; refuse each the merged schema cannot take."""
    good, refused = [], []
    for key, fragment in kept:
        try:
            _merger([*others, *good, fragment]).schema()
        except (TypeError, ValueError) as exc:
            refused.append(
                refuse(key, f"the tenant's merged schema does not build with it: {exc}")
            )
        else:
            good.append(fragment)
    return refused


def _others(tenant, name: str) -> list:
    """The fragments of the tenant's other scripts, as the schema serves them."""
    others = (
        GraphQLOperation.objects.filter(tenant=tenant)
        .exclude(script__name=name)
        .order_by("script__name", "id")
        .values_list("script__name", "kind", "name", "sdl")
    )
    by_script: dict[str, list] = {}
    for script_name, kind, op_name, sdl in others:
        by_script.setdefault(script_name, []).append((kind, op_name, sdl))
    # Those stored before a stricter check are not served either: skipped.
    return [
        fragment
        for script_name, stored in by_script.items()
        for fragment in cached_fragments(script_name, tuple(stored)).values()
    ]


def _merger(fragments: list) -> Merger:
    merger = platform_merger()
    for fragment in fragments:
        merger.add(fragment)
    return merger


def store(script, registrations: dict) -> None:
    """Replace the script's operations (inside the upload's transaction)."""
    GraphQLOperation.objects.filter(script=script).delete()
    GraphQLOperation.objects.bulk_create(
        [
            GraphQLOperation(
                tenant_id=script.tenant_id,
                script=script,
                kind=entry["kind"],
                name=entry["name"],
                sdl=entry["sdl"],
                handler=entry["handler"],
                visibility=entry["visibility"],
            )
            for entry in entries(registrations)
        ]
    )


def platform_merger() -> Merger:
    """A Merger that keeps the platform's own types and root fields out of reach."""
    from graphql_app.schemas import platform_names

    types, fields = platform_names()
    owner = "the platform's own schema"
    return Merger(
        taken_types=dict.fromkeys(types, owner),
        taken_fields=dict.fromkeys(fields, owner),
    )


def cached_fragments(script_name: str, entries: tuple) -> dict:
    from graphql_app.schemas import fragments_of

    return fragments_of(script_name, entries).fragments
