"""Tenants, their members, and the change counters caches poll."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.dispatch import Signal

HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def normalize_domains(value):
    """Lower-case, strip, de-duplicate and sort a list of host names."""
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        return value  # left for validate_domains to refuse
    return sorted({d.strip().lower() for d in value if d.strip()})


def validate_domains(value):
    """Accept a list of bare host names; case and spaces are normalized on save."""
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        raise ValidationError("Domains must be a list of host names.")
    from tenants.resolve import console_hosts

    console = console_hosts()
    for domain in value:
        if not HOSTNAME.match(domain.strip().lower()):
            raise ValidationError(
                f"'{domain}' is not a valid host name (no port, scheme or path)."
            )
        if domain.strip().lower() in console:
            raise ValidationError(
                f"'{domain}' is the console's host (SCRIPTHOST_CONSOLE_HOSTS), "
                "where no script route is served."
            )


class Tenant(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    domains = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_domains],
        help_text='Host names that select this tenant, e.g. ["acme.example.com"].',
    )
    graphql_public = models.BooleanField(
        "public GraphQL operations",
        default=False,
        help_text="Let anyone, signed in or not, call the 'external' GraphQL "
        "operations of this tenant's scripts on /graphql. The platform's own "
        "fields still need a role.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug

    def save(self, *args, **kwargs):
        # Hosts are matched lower-cased; store them that way even past clean().
        self.domains = normalize_domains(self.domains or [])
        super().save(*args, **kwargs)

    def clean(self):
        # The field's validator has checked each name (and reported any error).
        self.domains = normalize_domains(self.domains or [])
        if not isinstance(self.domains, list):
            return
        others = Tenant.objects.exclude(pk=self.pk).only("slug", "domains")
        taken = {d: other.slug for other in others for d in other.domains or []}
        for domain in self.domains:
            if domain in taken:
                message = f"'{domain}' already belongs to tenant '{taken[domain]}'."
                raise ValidationError({"domains": message})


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    DEVELOPER = "developer", "Developer"
    VIEWER = "viewer", "Viewer"


WRITE_ROLES = {Role.OWNER, Role.DEVELOPER}

# What a role may do in its tenant, as IOTA's permission codenames (the seed's
# ScriptCreate/Read/Update/Delete/Execute, written like its 'reports.view'):
# scripts read `context.user.permissions`. Owners and developers write and
# run scripts; viewers read them. scripts_app.policy decides every entry point
# from this table (plus object grants), so what a script reads here is what
# the platform allows.
SCRIPT_PERMISSIONS = (
    "scripts.create",
    "scripts.read",
    "scripts.update",
    "scripts.delete",
    "scripts.execute",
)
ROLE_PERMISSIONS = {
    Role.OWNER: SCRIPT_PERMISSIONS,
    Role.DEVELOPER: SCRIPT_PERMISSIONS,
    Role.VIEWER: ("scripts.read",),
}


def permissions_of(role) -> list[str]:
    """The permission codenames of a role (None: no role in the tenant, none)."""
    return list(ROLE_PERMISSIONS.get(role, ()))


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "tenant"], name="one_membership_per_tenant"
            )
        ]

    def __str__(self):
        return f"{self.user} @ {self.tenant} ({self.role})"


def role_of(user, tenant):
    """Return the user's role in the tenant, or None; superusers act as owners."""
    if user is None or not user.is_authenticated or tenant is None:
        return None
    if user.is_superuser:
        return Role.OWNER
    membership = (
        Membership.objects.filter(user=user, tenant=tenant).only("role").first()
    )
    return membership.role if membership else None


# Sent with name= when a counter is bumped (at once and again after commit), so
# this process's caches reload on their next use instead of at their next poll.
counter_bumped = Signal()


class ChangeCounter(models.Model):
    """A counter bumped on every change that per-process caches must notice.

    Every worker process polls these few rows (at most every
    SCRIPT_ROUTE_REFRESH_SECONDS) instead of re-reading tenants and routes.
    """

    name = models.CharField(max_length=32, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}={self.value}"

    @classmethod
    def bump(cls, name):
        # Inside the caller's transaction, so the change and the bump commit together.
        if not cls.objects.filter(name=name).update(value=F("value") + 1):
            cls.objects.get_or_create(name=name, defaults={"value": 1})
        counter_bumped.send(sender=cls, name=name)
        transaction.on_commit(
            lambda: counter_bumped.send(sender=cls, name=name), robust=True
        )

    @classmethod
    def snapshot(cls):
        return dict(cls.objects.values_list("name", "value"))
