"""Tenants, their members, and the change counters caches poll."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F

HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def validate_domains(value):
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        raise ValidationError("Domains must be a list of host names.")
    for domain in value:
        if not HOSTNAME.match(domain):
            raise ValidationError(
                f"'{domain}' is not a valid host name (lower case, no port)."
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug

    def clean(self):
        self.domains = sorted(
            {d.strip().lower() for d in self.domains or [] if d.strip()}
        )
        validate_domains(self.domains)
        others = Tenant.objects.exclude(pk=self.pk)
        for domain in self.domains:
            for other in others:
                if domain in (other.domains or []):
                    raise ValidationError(
                        {
                            "domains": f"'{domain}' already belongs to tenant '{other.slug}'."
                        }
                    )


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    DEVELOPER = "developer", "Developer"
    VIEWER = "viewer", "Viewer"


WRITE_ROLES = {Role.OWNER, Role.DEVELOPER}


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

    @classmethod
    def snapshot(cls):
        return dict(cls.objects.values_list("name", "value"))
