"""Starting points for a new script: one file each in templates/scripthost/script_templates/.

The admin's add page offers them (a picker that fills the editor, and
`?template=<key>` links that work without JavaScript). They are plain scripts:
tests/scripts_app/test_script_templates.py uploads each one through the real
store path, so a template that stops being accepted fails the suite.
"""

from __future__ import annotations

from django.conf import settings

# (key, title, file): the picker's order.
TEMPLATES = (
    ("route", "HTTP route", "route.js"),
    ("stream", "Server-Sent Events stream", "stream.js"),
    ("graphql", "GraphQL query", "graphql.js"),
    ("scheduled_job", "Scheduled job (schedulerService)", "scheduled_job.js"),
    ("predix_trigger", "Predix trigger (pre-processing)", "predix_trigger.js"),
    ("iota_cron", "IOTA cron script (@cron)", "iota_cron.js"),
)


def _folder():
    return settings.BASE_DIR / "templates" / "scripthost" / "script_templates"


def source_of(key: str) -> str | None:
    """The template's source, or None for a key that names none."""
    for known, _title, filename in TEMPLATES:
        if known == key:
            return (_folder() / filename).read_text()
    return None


def all_templates() -> list[dict]:
    """[{key, title, source}] for the add page's picker."""
    return [
        {"key": key, "title": title, "source": (_folder() / filename).read_text()}
        for key, title, filename in TEMPLATES
    ]
