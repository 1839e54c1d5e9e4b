"""Scripts, their versions and registrations, and what their runs leave behind."""

import json
import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.fields.json import KeyTransform

from core import ids
from tenants.models import Tenant

SCRIPT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
validate_script_name = RegexValidator(
    SCRIPT_NAME_PATTERN,
    "A script id is 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit.",
)


class Script(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="scripts")
    name = models.CharField(
        "id",
        max_length=128,
        validators=[validate_script_name],
        help_text="The id in /system/scripts/<id>.",
    )
    source = models.TextField()
    version = models.PositiveIntegerField(default=1)
    header = models.JSONField(
        default=dict,
        blank=True,
        help_text="Tags parsed from the script's header comment.",
    )
    registrations = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    example = models.BooleanField(
        default=False,
        help_text="Loaded from examples/ and not changed since: it gives way to a "
        "script that registers a path it holds (it is removed).",
    )
    privileged = models.BooleanField(
        default=False, help_text="Privileged scripts may use platform-level APIs."
    )
    capabilities = models.JSONField(
        default=list,
        blank=True,
        help_text="Capability names granted by an admin, e.g. ['ReadAssets'].",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The registrations as last read or saved, None when unknown: what a
    # save changes is measured against them (scripts_app.signals).
    registrations_at_load = None

    class Meta:
        ordering = ["tenant", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], name="script_name_per_tenant"
            )
        ]
        # With Django's view/change/delete, what an object grant may give on
        # one script (scripts_app.policy); IOTA's ScriptExecute.
        permissions = [("execute_script", "Can execute script")]

    def __str__(self):
        return f"{self.tenant.slug}/{self.name}"

    @classmethod
    def from_db(cls, db, field_names, values):
        script = super().from_db(db, field_names, values)
        script.remember_registrations()
        return script

    def remember_registrations(self) -> None:
        loaded = self.__dict__.get("registrations")  # None when deferred
        self.registrations_at_load = dict(loaded) if loaded is not None else None

    @property
    def filename(self):
        return f"{self.name}.js" if not self.name.endswith(".js") else self.name


class ScriptVersion(models.Model):
    script = models.ForeignKey(
        Script, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    source = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["script", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["script", "number"], name="one_number_per_version"
            )
        ]

    def __str__(self):
        return f"{self.script} v{self.number}"


class Route(models.Model):
    """An HTTP route a script registered; stored so every process knows it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="routes")
    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="routes")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    handler = models.CharField(max_length=128)
    # Set for a route of an app's own kind (core.plugins: script_route_kinds):
    # that app serves `resource` there (an asset route: GET/HEAD serve this
    # asset of the tenant's assets); `handler` is then empty.
    kind = models.CharField(max_length=32, blank=True)
    resource = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["tenant", "path", "method"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "method", "path"], name="one_handler_per_route"
            )
        ]

    def __str__(self):
        if self.kind:
            return f"{self.path} -> {self.kind} {self.resource} ({self.script.name})"
        return f"{self.method} {self.path} -> {self.script.name}.{self.handler}"


class LogLevel(models.TextChoices):
    LOG = "LOG"
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"
    FATAL = "FATAL"


class LogEntry(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    script = models.ForeignKey(
        Script, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    script_name = models.CharField(max_length=128, db_index=True)
    execution_id = models.UUIDField(null=True, blank=True, db_index=True)
    level = models.CharField(max_length=8, choices=LogLevel.choices)
    message = models.TextField()
    # console.log("User action", {user_id: 7}): the trailing object (IOTA's
    # structured logging), {} when there was none.
    fields = models.JSONField(default=dict, blank=True)
    time = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name_plural = "log entries"
        indexes = [models.Index(fields=["tenant", "script_name", "-time"])]

    def __str__(self):
        return f"[{self.level}] {self.script_name}: {self.message[:60]}"


FIELD_KEY = re.compile(r"^[A-Za-z0-9_$-]{1,100}$")


def with_log_field(queryset, path: str, raw: str):
    """Log entries whose field `path` ("user_id", "order.id") equals `raw`.

    A value that reads as JSON (42, true, null, "x") matches that JSON value,
    and every value matches the same text as a string: `42` finds both
    {"user_id": 42} and {"user_id": "42"}. A bad path is a ValueError.
    """
    keys = path.split(".")
    if not all(FIELD_KEY.match(k) for k in keys):
        raise ValueError(
            f"'{path}' is not a field name: use letters, digits, '_', '$' or "
            "'-', and '.' between the keys of nested objects."
        )
    target = "fields"
    for key in keys:
        target = KeyTransform(key, target)
    match = models.Q(_log_field=raw)
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = raw
    if parsed != raw and parsed == parsed and not isinstance(parsed, dict | list):
        match |= models.Q(_log_field=parsed)  # (parsed == parsed: not NaN)
    return queryset.alias(_log_field=target).filter(match)


class ExecutionStatus(models.TextChoices):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    MEMORY = "memory_limit"
    # Written by an app that decided not to run one (a recurring job whose
    # previous run is still going), or whose run was lost (its worker died).
    SKIPPED = "skipped"
    LOST = "lost"


class Execution(models.Model):
    # Time-ordered (core.ids.uuid7): new rows go at the end of the key's index.
    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    script = models.ForeignKey(
        Script,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="executions",
    )
    script_name = models.CharField(max_length=128, db_index=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=32)
    handler = models.CharField(max_length=128, blank=True)
    trigger = models.CharField(
        max_length=300, blank=True, help_text="What started it, e.g. 'GET /hello'."
    )
    # context.execution.triggeredBy: http, api, manual, cron, event.
    triggered_by = models.CharField(max_length=16, blank=True, db_index=True)
    # The object that started it, as "<kind>:<id>" ("job:17", "trigger:3"), so
    # an app can list its own runs without the core knowing its models.
    ref = models.CharField(max_length=100, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=ExecutionStatus.choices)
    # The handler's return value as JSON, cut at SCRIPTS["EXECUTION_RESULT_BYTES"]
    # (kept for the kinds that ask for it: manual, scheduled runs; not HTTP).
    result = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.FloatField()
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["tenant", "script_name", "-started_at"])]

    def __str__(self):
        return f"{self.script_name}.{self.handler} {self.status} ({self.duration_ms:.1f} ms)"
