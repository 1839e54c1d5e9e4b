"""Who may do what with scripts: tenant roles plus object grants, decided here only.

Every entry point asks this module: the admin (lists, change, delete, the Run
button and page, the object-permissions page), the REST API (/system/api/
scripts, the Predix /system/scripts, POST .../run), GraphQL (scripts, script,
upsertScript, deleteScript, runScript) and whatever a lead wires later (the
editor, the CLI). Nothing else compares roles for scripts.

Two sources of rights, added together:

- the user's role in the script's tenant (tenants.models.ROLE_PERMISSIONS,
  IOTA's codenames): owners and developers create, read, update, delete and
  execute every script of the tenant; viewers read them; superusers act as
  owners everywhere;
- django-guardian object grants on one script, to the user or one of their
  groups: view_script, change_script, delete_script, execute_script. A grant
  widens what the user may do with that script only; any grant also lets them
  see it (nobody changes or runs what they cannot see).

Actions on a script: "view", "change", "delete", "execute", and "manage"
(grant object permissions, set capabilities: the tenant's owners only).
Actions in a tenant: "create" (a new script: the tenant's writers).

    can(user, action, script) -> bool
    why_not(user, action, script) -> str | None   (the refusal, for messages)
    can_in_tenant(user, action, tenant) -> bool
    why_not_in_tenant(user, action, tenant) -> str | None
    scripts_visible_to(user, tenant=None) -> QuerySet[Script]
    scripts_granted(user, action, tenant=None) -> QuerySet[Script]   (grants only)
    may_enter(user, tenant) -> bool   (a role, or some grant on one of its scripts)
    permissions_for(user, tenant, script=None) -> list[str]   (context.user.permissions)
"""

from django.contrib.auth.models import Group
from django.db.models import Q

from tenants.models import (
    SCRIPT_PERMISSIONS,
    Membership,
    Role,
    permissions_of,
    role_of,
)

# Each action and the IOTA codename a role must hold for it.
ACTIONS = {
    "view": "scripts.read",
    "change": "scripts.update",
    "delete": "scripts.delete",
    "execute": "scripts.execute",
    "create": "scripts.create",
}
# Each object action and the guardian codename that grants it on one script.
GRANTS = {
    "view": "view_script",
    "change": "change_script",
    "delete": "delete_script",
    "execute": "execute_script",
}
CODENAME_OF_GRANT = {grant: ACTIONS[action] for action, grant in GRANTS.items()}
OBJECT_ACTIONS = (*GRANTS, "manage")


class UnknownAction(ValueError):
    pass


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def grants_on(user, script) -> set[str]:
    """The guardian codenames granted on `script` to the user or their groups."""
    if not _signed_in(user) or script is None or script.pk is None:
        return set()
    from guardian.shortcuts import get_perms

    # get_perms caches nothing: a grant made a moment ago counts at once.
    return set(get_perms(user, script)) & set(GRANTS.values())


def _role_allows(role, action) -> bool:
    return ACTIONS[action] in permissions_of(role)


def why_not(user, action, script) -> str | None:
    """Return None if the user may do `action` on `script`, else why not."""
    if action not in OBJECT_ACTIONS:
        raise UnknownAction(f"Unknown action {action!r}; use one of {OBJECT_ACTIONS}.")
    if not _signed_in(user):
        return "Sign in first."
    if user.is_superuser:
        return None
    role = role_of(user, script.tenant)
    if action == "manage":
        if role == Role.OWNER:
            return None
        return "Only the tenant's owners manage a script's permissions."
    if role is not None and _role_allows(role, action):
        return None
    granted = grants_on(user, script)
    if GRANTS[action] in granted or (action == "view" and granted):
        return None
    if role is None:
        return (
            f"You are not a member of tenant '{script.tenant.slug}' and have no "
            f"grant to {action} script '{script.name}'."
        )
    return _role_refusal(role, action)


def _role_refusal(role, action) -> str:
    if action == "execute":
        return (
            f"Your role ({role}) in this tenant does not let you run scripts; "
            "an execute grant on a script would."
        )
    if role == Role.VIEWER:
        return "Viewers may read but not change anything in this tenant."
    return f"Your role ({role}) in this tenant does not let you {action} scripts."


def can(user, action, script) -> bool:
    """Return True if the user may do `action` on `script` (see the module doc)."""
    return why_not(user, action, script) is None


def why_not_in_tenant(user, action, tenant) -> str | None:
    """Return None if the user's role lets them `action` every script of `tenant`.

    "create" (a new script) is only ever a tenant-wide right; for the others
    this asks about the role alone, without the grants on single scripts.
    """
    if action not in ACTIONS and action != "manage":
        raise UnknownAction(f"Unknown action {action!r}.")
    if not _signed_in(user):
        return "Sign in first."
    if tenant is None:
        return "No tenant."
    if user.is_superuser:
        return None
    role = role_of(user, tenant)
    if role is None:
        return "You are not a member of this tenant."
    if action == "manage":
        return None if role == Role.OWNER else "Only the tenant's owners do that."
    return None if _role_allows(role, action) else _role_refusal(role, action)


def can_in_tenant(user, action, tenant) -> bool:
    """Return True if the user may do a tenant-wide `action` ("create", "view"...)."""
    return why_not_in_tenant(user, action, tenant) is None


def _granted_scripts(user):
    """Ids of scripts with any grant to the user or their groups (a subquery)."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from scripts_app.models import Script

    kinds = {"permission__content_type__app_label": "scripts_app"}
    kinds["permission__codename__in"] = list(GRANTS.values())
    by_user = UserObjectPermission.objects.filter(user=user, **kinds)
    by_group = GroupObjectPermission.objects.filter(
        group__in=Group.objects.filter(user=user), **kinds
    )
    ids = set(by_user.values_list("object_pk", flat=True)) | set(
        by_group.values_list("object_pk", flat=True)
    )
    # object_pk is text in guardian's generic tables.
    return Script.objects.filter(pk__in=[int(i) for i in ids if str(i).isdigit()])


def scripts_granted(user, action, tenant=None):
    """The scripts (of `tenant`, or all) on which the user holds `action`'s grant."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from scripts_app.models import Script

    if not _signed_in(user):
        return Script.objects.none()
    kinds = {
        "permission__content_type__app_label": "scripts_app",
        "permission__codename": GRANTS[action],
    }
    ids = set(
        UserObjectPermission.objects.filter(user=user, **kinds).values_list(
            "object_pk", flat=True
        )
    ) | set(
        GroupObjectPermission.objects.filter(
            group__in=Group.objects.filter(user=user), **kinds
        ).values_list("object_pk", flat=True)
    )
    scripts = Script.objects.filter(pk__in=[int(i) for i in ids if str(i).isdigit()])
    return scripts if tenant is None else scripts.filter(tenant=tenant)


def scripts_visible_to(user, tenant=None):
    """The scripts the user may view: in `tenant`, or in all tenants when None."""
    from scripts_app.models import Script

    scripts = Script.objects.all() if tenant is None else tenant.scripts.all()
    if not _signed_in(user):
        return scripts.none()
    if user.is_superuser:
        return scripts
    reader_roles = [r for r in Role if _role_allows(r, "view")]
    member_of = Membership.objects.filter(user=user, role__in=reader_roles)
    by_role = Q(tenant__in=member_of.values("tenant"))
    by_grant = Q(pk__in=_granted_scripts(user).values("pk"))
    return scripts.filter(by_role | by_grant)


def may_enter(user, tenant) -> bool:
    """Return True if the user has a role in `tenant` or a grant on one of its scripts.

    The REST API and GraphQL refuse anyone else at the door, as before object
    grants: "You are not a member of this tenant."
    """
    if not _signed_in(user) or tenant is None:
        return False
    if user.is_superuser or role_of(user, tenant) is not None:
        return True
    return _granted_scripts(user).filter(tenant=tenant).exists()


def permissions_for(user, tenant, script=None) -> list[str]:
    """context.user.permissions: the role's codenames, plus the script's grants.

    In IOTA's order (tenants.models.SCRIPT_PERMISSIONS), without repeats.
    """
    if not _signed_in(user):
        return []
    role = Role.OWNER if user.is_superuser else role_of(user, tenant)
    held = set(permissions_of(role))
    if script is not None:
        granted = grants_on(user, script)
        held |= {CODENAME_OF_GRANT[g] for g in granted}
        if granted:
            held.add("scripts.read")
    return [p for p in SCRIPT_PERMISSIONS if p in held]
