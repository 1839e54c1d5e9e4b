"""Links from a script's admin page to admin lists filtered to that script."""

from __future__ import annotations

from django.urls import reverse

SCRIPT_FILTER = "script__id__exact"  # what RelatedOnlyFieldListFilter("script") sets


def filtered_changelist(label: str, model_label: str, script) -> tuple[str, str]:
    """(label, url) of the admin list of `model_label` ("app.model") for `script`.

    The model has a `script` foreign key; its admin lists it among its
    filters, so the list opens with that filter chosen.
    """
    app_label, model = model_label.lower().split(".")
    url = reverse(f"admin:{app_label}_{model}_changelist")
    return label, f"{url}?{SCRIPT_FILTER}={script.pk}"
