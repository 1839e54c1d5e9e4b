"""System checks for what can be known at start-up."""

from django.core.checks import Error, Warning, register

from core.conf import scripts_setting


@register()
def engine_importable(app_configs, **kwargs):
    try:
        import engine.context as ctx
    except Exception as exc:  # noqa: BLE001
        return [Error(f"The engine cannot be imported: {exc}", id="scripthost.E001")]
    if ctx.MiniRacer is None:
        return [
            Error(
                "py_mini_racer is not importable; install the 'mini-racer' package.",
                id="scripthost.E002",
            )
        ]
    return []


@register()
def pool_size_sane(app_configs, **kwargs):
    size = scripts_setting("VM_POOL_SIZE")
    if not isinstance(size, int) or size < 1:
        return [
            Error(
                "SCRIPT_VM_POOL_SIZE must be a positive integer.", id="scripthost.E003"
            )
        ]
    if size > 5000:
        return [
            Warning(
                f"SCRIPT_VM_POOL_SIZE={size}: each warm context holds about 1 MB and a thread.",
                id="scripthost.W001",
            )
        ]
    per_script = scripts_setting("VM_CONTEXTS_PER_SCRIPT")
    if not isinstance(per_script, int) or per_script < 1:
        return [
            Error(
                "SCRIPT_VM_CONTEXTS_PER_SCRIPT must be a positive integer.",
                id="scripthost.E005",
            )
        ]
    nice = scripts_setting("VM_NICE")
    if not isinstance(nice, int) or isinstance(nice, bool) or not 0 <= nice <= 19:
        return [
            Error(
                "SCRIPT_VM_NICE must be an integer from 0 (scripts run at the "
                "server's priority) to 19 (the lowest).",
                id="scripthost.E006",
            )
        ]
    return []


@register()
def admission_cap_sane(app_configs, **kwargs):
    cap = scripts_setting("MAX_CONCURRENT_PER_TENANT")
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
        return [
            Error(
                "SCRIPT_MAX_CONCURRENT_PER_TENANT must be an integer of 0 or more "
                "(0: no cap).",
                id="scripthost.E004",
            )
        ]
    return []


@register()
def console_cookies_host_only(app_configs, **kwargs):
    """With console hosts, the console's cookies must not reach tenant domains."""
    from django.conf import settings

    problems = []
    if scripts_setting("CONSOLE_HOSTS"):
        for name in ("SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN"):
            if getattr(settings, name, None):
                problems.append(
                    Error(
                        f"{name} is set while SCRIPTHOST_CONSOLE_HOSTS is: the "
                        "console's cookie would reach the tenants' domains under "
                        "it, and their script pages.",
                        hint=f"Leave {name} at None (host-only cookies).",
                        id="scripthost.E020",
                    )
                )
    if not settings.CSRF_COOKIE_HTTPONLY or not settings.SESSION_COOKIE_HTTPONLY:
        problems.append(
            Warning(
                "The CSRF or session cookie is readable from page scripts "
                "(CSRF_COOKIE_HTTPONLY, SESSION_COOKIE_HTTPONLY).",
                id="scripthost.W020",
            )
        )
    return problems


@register()
def request_budget_sane(app_configs, **kwargs):
    errors = []
    for name, least in (
        ("MAX_RUNS_PER_REQUEST", 0),
        ("MAX_HOST_CALLS_PER_REQUEST", 1),
    ):
        value = scripts_setting(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            errors.append(
                Error(
                    f"SCRIPT_{name} must be an integer of {least} or more.",
                    id="scripthost.E007",
                )
            )
    return errors
