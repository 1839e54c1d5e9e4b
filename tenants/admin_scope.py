"""The admin seen by a tenant's members: their tenants' rows only, in every screen.

Every ModelAdmin of a model that belongs to a tenant inherits TenantScopedAdmin
(inlines: TenantScopedInline). For a superuser nothing changes. Anyone else
with is_staff, and a role in some tenants, gets:

- lists, filters, change pages, autocompletes and delete pages of those
  tenants' rows only (another tenant's row is "not found": a redirect);
- view rights from any role, add/change/delete rights from `write_roles`
  (owners and developers; owners only for members and tenants);
- in every form, foreign-key and many-to-many choices limited to the tenants
  they may write in, so a forged POST naming another tenant's object is
  refused by the form ("Select a valid choice").

Rights come from the roles here, not from Django's model permissions, so a
member needs nothing but is_staff to reach the admin. Models that belong to
no tenant (users, groups, tokens, celery beat) keep Django's own permissions:
a member without them does not see those screens.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model

from tenants.models import WRITE_ROLES, Membership, Role, Tenant


def tenant_ids(request, roles=None) -> set[int]:
    """Ids of the tenants where request.user has one of `roles` (None: any role)."""
    cache = request.__dict__.setdefault("_tenant_ids_by_roles", {})
    key = tuple(sorted(roles)) if roles is not None else None
    if key not in cache:
        memberships = Membership.objects.filter(user=request.user)
        if roles is not None:
            memberships = memberships.filter(role__in=list(roles))
        cache[key] = set(memberships.values_list("tenant_id", flat=True))
    return cache[key]


def tenant_path(model) -> str | None:
    """The lookup from `model` to its tenant ("tenant", "script__tenant", "pk")."""
    if model is Tenant:
        return "pk"
    explicit = getattr(model, "tenant_path", None)
    if explicit:
        return explicit
    names = {f.name for f in model._meta.get_fields()}
    if "tenant" in names:
        return "tenant"
    if "script" in names:
        return "script__tenant"
    return None


def _tenant_id_of(obj):
    path = tenant_path(type(obj))
    value = obj
    for part in path.split("__"):
        if part == "pk":
            return value.pk
        value = getattr(value, part)
    return value.pk if value is not None else None


def scoped_choices(request, db_field, queryset, roles):
    """Limit a relation's choices to objects of the user's tenants (with `roles`)."""
    if request is None or request.user.is_superuser:
        return queryset
    model = queryset.model
    ids = tenant_ids(request, roles)
    if model is get_user_model() or model._meta.label == settings.AUTH_USER_MODEL:
        # Users belong to no tenant: offer those who share one with the user.
        return queryset.filter(memberships__tenant__in=ids).distinct()
    path = tenant_path(model)
    if path is None:
        return queryset.none()  # platform rows: never picked by a member
    return queryset.filter(**{f"{path}__in": ids})


class _ScopedFormFields:
    write_roles = WRITE_ROLES

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scoped_choices(
                request, db_field, field.queryset, self.write_roles
            )
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scoped_choices(
                request, db_field, field.queryset, self.write_roles
            )
        return field

    def get_autocomplete_fields(self, request):
        fields = super().get_autocomplete_fields(request)
        if request.user.is_superuser:
            return fields
        # An autocomplete asks the related model's admin; keep only those that
        # scope their rows (the users' admin would refuse a member anyway).
        registry = self.admin_site._registry
        related = {f.name: f.related_model for f in self.model._meta.get_fields()}
        return [
            name
            for name in fields
            if isinstance(registry.get(related.get(name)), TenantScopedAdmin)
        ]


class TenantScopedAdmin(_ScopedFormFields, admin.ModelAdmin):
    """A ModelAdmin that shows a non-superuser only their tenants' rows."""

    # Roles that may add, change and delete (view: any role).
    write_roles = WRITE_ROLES

    def _member(self, request, roles=None) -> set[int]:
        return tenant_ids(request, roles)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        path = tenant_path(self.model)
        return queryset.filter(**{f"{path}__in": self._member(request)})

    def _allowed(self, request, obj, roles) -> bool:
        if obj is None:
            return bool(self._member(request, roles))
        return _tenant_id_of(obj) in self._member(request, roles)

    def has_module_permission(self, request):
        if request.user.is_superuser:
            return super().has_module_permission(request)
        return request.user.is_active and bool(self._member(request))

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self._allowed(request, obj, None)

    def has_add_permission(self, request):
        if request.user.is_superuser:
            return super().has_add_permission(request)
        return self._allowed(request, None, self.write_roles)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self._allowed(request, obj, self.write_roles)

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self._allowed(request, obj, self.write_roles)

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        # A related field's filter lists every row of the related model; the
        # "related only" one lists those the (scoped) rows point to.
        scoped = []
        for entry in filters:
            if isinstance(entry, str) and _is_relation(self.model, entry):
                scoped.append((entry, admin.RelatedOnlyFieldListFilter))
            else:
                scoped.append(entry)
        return scoped


class TenantScopedInline(_ScopedFormFields, admin.TabularInline):
    """An inline scoped like TenantScopedAdmin: rights from the parent's tenant."""

    def _allowed(self, request, obj, roles) -> bool:
        ids = tenant_ids(request, roles)
        return bool(ids) if obj is None else _tenant_id_of(obj) in ids

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self._allowed(request, obj, None)

    def has_add_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_add_permission(request, obj)
        return self._allowed(request, obj, self.write_roles)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self._allowed(request, obj, self.write_roles)

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self._allowed(request, obj, self.write_roles)


def _is_relation(model, lookup: str) -> bool:
    field = None
    for part in lookup.split("__"):
        try:
            field = model._meta.get_field(part)
        except Exception:
            return False
        if not field.is_relation:
            return False
        model = field.related_model
    return field is not None and field.is_relation


# Who manages a tenant itself and its members.
OWNER_ONLY = frozenset({Role.OWNER})
