"""GraphQL registrations: checked and merged at upload, stored with the version.

scripts_app.services calls these through the app's hooks. `check` parses
every fragment the upload registers as one set of types (a type defined by
one registration may be used by the script's others: merge.script_fragments),
then merges the tenant's other scripts' fragments with them, as the tenant's
schema will be built: an upload whose SDL is wrong, defines a type twice in
ways that disagree (naming the type and both registrations), or clashes with
another script's (naming both scripts), is refused with 400 and nothing
changes, so the schema in service stays as it was.
"""

from __future__ import annotations

from graphql_app.merge import Merger, script_fragments
from graphql_app.models import GraphQLOperation
from scripts_app.services import ScriptRejected


def entries(registrations: dict) -> list[dict]:
    return list(registrations.get("graphql") or [])


def check(tenant, name: str, registrations: dict) -> list[dict]:
    """Refuse (raise ScriptRejected) GraphQL registrations that cannot be served."""
    mine = entries(registrations)
    if not mine:
        return []
    own = script_fragments(
        name, [(entry["kind"], entry["name"], entry["sdl"]) for entry in mine]
    )
    if own.clashes:
        raise _rejected("graphql_conflict", own.clashes, within=True)
    if own.invalid:
        raise _rejected("invalid_registration", own.invalid)
    merger = platform_merger()
    others = (
        GraphQLOperation.objects.filter(tenant=tenant)
        .exclude(script__name=name)
        .order_by("script__name", "id")
        .values_list("script__name", "kind", "name", "sdl")
    )
    by_script: dict[str, list] = {}
    for script_name, kind, op_name, sdl in others:
        by_script.setdefault(script_name, []).append((kind, op_name, sdl))
    for script_name, stored in by_script.items():
        # Those stored before a stricter check are not served either: skipped.
        for fragment in cached_fragments(script_name, tuple(stored)).values():
            merger.add(fragment)
    problems = []
    for fragment in own.fragments.values():
        problems.extend(merger.add(fragment))
    if problems:
        raise _rejected("graphql_conflict", problems)
    try:
        merger.schema()
    except (TypeError, ValueError) as exc:  # graphql-core's words for a bad schema
        problem = f"the merged schema does not build: {exc}"
        raise _rejected("graphql_conflict", [problem]) from None
    return []


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


def _rejected(code: str, problems: list[str], within=False) -> ScriptRejected:
    count = len(problems)
    if within:
        summary = (
            f"The script's GraphQL registrations define a type differently in "
            f"{count} place{'s' if count > 1 else ''}"
        )
        hint = (
            ". A type defined in one registration's SDL may be used by every "
            "registration of the script; a type defined again must agree "
            "(object types may add fields); the schema in service is unchanged."
        )
    elif code == "graphql_conflict":
        summary = (
            f"The script's GraphQL schema clashes with the tenant's in {count} "
            f"place{'s' if count > 1 else ''}"
        )
        hint = (
            ". Use the same definition in both scripts, rename one, or change "
            "the other script first; the schema in service is unchanged."
        )
    else:
        summary = (
            f"The script registered {count} invalid GraphQL "
            f"operation{'s' if count > 1 else ''}"
        )
        hint = ""
    return ScriptRejected(
        400,
        code,
        f"{summary}: " + "; ".join(problems) + hint,
        details={"errors": problems},
    )
