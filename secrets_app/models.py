"""Secrets: values a tenant's scripts send with fetch, encrypted at rest and bound
to the hosts they may be sent to."""

from cryptography.fernet import InvalidToken
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from secrets_app.crypto import cipher
from secrets_app.destinations import normalize_allowed_hosts, validate_allowed_hosts
from tenants.models import Tenant

IDENTIFIER = r"^[A-Za-z0-9_.-]{1,128}$"
MIN_VALUE_LENGTH = 8
MAX_VALUE_LENGTH = 8192


class SecretUnreadable(Exception):
    """The stored value cannot be decrypted with any configured key."""


def validate_value(value: str) -> None:
    """Refuse values that could not be kept out of logs or sent in a header."""
    if len(value) < MIN_VALUE_LENGTH:
        # Shorter values would be found (and scrubbed) all over ordinary text.
        raise ValidationError(
            f"A secret must be at least {MIN_VALUE_LENGTH} characters long."
        )
    if len(value) > MAX_VALUE_LENGTH:
        raise ValidationError(f"A secret may be at most {MAX_VALUE_LENGTH} characters.")
    if any(c in value for c in "\r\n\0"):
        raise ValidationError("Secrets are sent in HTTP headers: no line breaks.")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValidationError(
            "Secrets are sent in HTTP headers: use ASCII (or Latin-1) characters."
        ) from None


class Secret(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="secrets")
    identifier = models.CharField(
        max_length=128,
        validators=[
            RegexValidator(
                IDENTIFIER,
                "Use letters, digits, '_', '.' and '-' (at most 128 characters).",
            )
        ],
        help_text="Scripts write {{secret:identifier}} in a fetch URL, header or body.",
    )
    # Empty: the secret may be sent nowhere until hosts are added (the default
    # for new secrets). Rows from before binding were migrated to ["*"].
    allowed_hosts = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_allowed_hosts],
        help_text="Hosts fetch may send this secret to: api.example.com, "
        "*.example.com (its subdomains), an IP address, or * (any host).",
    )
    # Fernet token of the value; never shown, never returned by any API.
    ciphertext = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "identifier"], name="one_secret_per_identifier"
            )
        ]

    def __str__(self):
        return self.identifier

    def save(self, *args, **kwargs):
        # Stored normalized (lower-cased, IDNA) whichever path wrote them.
        self.allowed_hosts = normalize_allowed_hosts(self.allowed_hosts or [])
        super().save(*args, **kwargs)

    def set_value(self, value: str) -> None:
        validate_value(value)
        self.ciphertext = cipher().encrypt(value.encode()).decode("ascii")

    def reveal(self) -> str:
        try:
            return cipher().decrypt(self.ciphertext.encode("ascii")).decode()
        except InvalidToken:
            raise SecretUnreadable(self.identifier) from None


def values_of(tenant, identifiers) -> dict[str, tuple[str, list[str]]]:
    """Return {identifier: (value, allowed hosts)} for the tenant's secrets that exist."""
    found = Secret.objects.filter(tenant=tenant, identifier__in=list(identifiers))
    return {s.identifier: (s.reveal(), list(s.allowed_hosts)) for s in found}
