"""What a trigger must be: its JSON, and how it fits the script it names.

A trigger is refused, with a message naming the property, when it names
methods outside the script's @methods, lacks a parameter the script declares
with @param or gives one of the wrong type, or points at a script whose
@execution does not fit (a collection takes pre- or post-processing, a
/custom/<name> endpoint takes custom).
"""

from __future__ import annotations

import json
import re

from scripts_app.header import REST_METHODS
from scripts_app.models import Script

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_COLLECTION = re.compile(r"/[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_CUSTOM = re.compile(r"/custom/[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
FIELDS = (
    "uri",
    "onReferenceTo",
    "methods",
    "disabled",
    "script",
    "scriptParameters",
    "order",
)


class TriggerInvalid(ValueError):
    """A trigger that cannot be stored; `field` is the property at fault."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


def _show(value) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def check_name(name) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise TriggerInvalid(
            "A trigger id is 1-128 letters, digits, '_', '.' or '-', starting with a "
            f"letter or digit, got {_show(name)}",
            "uri",
        )
    return name


def name_of(uri) -> str:
    """The id in "/system/triggers/<id>" (or a bare id)."""
    if isinstance(uri, str) and uri.startswith("/system/triggers/"):
        uri = uri[len("/system/triggers/") :]
    return check_name(uri)


def is_custom(on_reference_to: str) -> bool:
    return on_reference_to.startswith("/custom/")


def parse(tenant, data, *, name: str | None = None) -> dict:
    """Check a trigger's JSON for `tenant`; return the Trigger model's fields.

    `name` is the id from the URL (PUT /system/triggers/<id>); a "uri" in the
    body must then agree with it.
    """
    if not isinstance(data, dict):
        raise TriggerInvalid(f"A trigger is a JSON object, got {_show(data)}")
    unknown = sorted(set(data) - set(FIELDS) - {"createdAt", "updatedAt"})
    if unknown:
        raise TriggerInvalid(
            f"Unknown trigger property '{unknown[0]}'; a trigger has "
            f"{', '.join(FIELDS)}",
            unknown[0],
        )
    if "uri" in data:
        from_body = name_of(data["uri"])
        if name is not None and from_body != name:
            raise TriggerInvalid(
                f"The trigger's uri '{data['uri']}' does not match "
                f"/system/triggers/{name}",
                "uri",
            )
        name = from_body
    if name is None:
        raise TriggerInvalid(
            "A trigger needs a 'uri' such as \"/system/triggers/validate-links\"", "uri"
        )
    check_name(name)

    target = data.get("onReferenceTo")
    if not isinstance(target, str) or not (
        _CUSTOM.fullmatch(target) or _COLLECTION.fullmatch(target)
    ):
        raise TriggerInvalid(
            'onReferenceTo must be a collection such as "/assets" or a custom '
            f'endpoint such as "/custom/my-logic", got {_show(target)}',
            "onReferenceTo",
        )
    if target == "/custom":
        raise TriggerInvalid("onReferenceTo '/custom' needs a name: /custom/<name>")

    script = _script(tenant, data.get("script"))
    header = script.header or {}
    execution = header.get("execution")
    wanted = ("custom",) if is_custom(target) else ("pre-processing", "post-processing")
    if execution not in wanted:
        kind = "a custom endpoint" if is_custom(target) else "a collection"
        raise TriggerInvalid(
            f"Script '{script.name}' has @execution {execution or '(none)'}; a trigger "
            f"on {kind} ({target}) needs {' or '.join(wanted)}",
            "script",
        )

    methods = data.get("methods")
    if (
        not isinstance(methods, list)
        or not methods
        or not all(isinstance(m, str) for m in methods)
    ):
        raise TriggerInvalid(
            f'methods must be a non-empty array such as ["POST", "PUT"], got {_show(methods)}',
            "methods",
        )
    methods = list(dict.fromkeys(m.strip().upper() for m in methods))
    bad = [m for m in methods if m not in REST_METHODS]
    if bad:
        raise TriggerInvalid(
            f"Unknown method '{bad[0]}' in methods; use {', '.join(REST_METHODS)}",
            "methods",
        )
    supported = header.get("methods")
    if not supported:
        raise TriggerInvalid(
            f"Script '{script.name}' declares no @methods, so no trigger may fire it; "
            "add e.g. '@methods POST, PUT' to its header",
            "methods",
        )
    outside = [m for m in methods if m not in supported]
    if outside:
        raise TriggerInvalid(
            f"Script '{script.name}' supports @methods {', '.join(supported)}; "
            f"the trigger names {', '.join(outside)}",
            "methods",
        )

    parameters = data.get("scriptParameters", {})
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise TriggerInvalid(
            f"scriptParameters must be a JSON object, got {_show(parameters)}",
            "scriptParameters",
        )
    for param in header.get("params", []):
        pname, ptype = param["name"], param["type"]
        if pname not in parameters:
            raise TriggerInvalid(
                f"Script '{script.name}' declares @param {{{ptype}}} {pname}; the "
                f"trigger's scriptParameters lack '{pname}'",
                "scriptParameters",
            )
        if not type_matches(ptype, parameters[pname]):
            raise TriggerInvalid(
                f"scriptParameters.{pname} must be {{{ptype}}} (the script's @param), "
                f"got {_show(parameters[pname])}",
                "scriptParameters",
            )

    disabled = data.get("disabled", False)
    if not isinstance(disabled, bool):
        raise TriggerInvalid(
            f"disabled must be true or false, got {_show(disabled)}", "disabled"
        )
    order = data.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        raise TriggerInvalid(f"order must be an integer, got {_show(order)}", "order")
    return {
        "name": name,
        "on_reference_to": target,
        "methods": methods,
        "disabled": disabled,
        "script": script,
        "parameters": parameters,
        "order": order,
    }


def _script(tenant, ref) -> Script:
    if not isinstance(ref, str) or not ref:
        raise TriggerInvalid(
            'script must name a script, e.g. "/system/scripts/validate-links", '
            f"got {_show(ref)}",
            "script",
        )
    name = ref.removeprefix("/system/scripts/")
    script = Script.objects.filter(tenant=tenant, name=name).first()
    if script is None:
        raise TriggerInvalid(
            f"No script '{name}' in this tenant; GET /system/scripts lists them",
            "script",
        )
    return script


# -- JSDoc parameter types -------------------------------------------------------------


def type_matches(type_text: str, value) -> bool:
    """Whether `value` (JSON) fits a JSDoc type: String, Number, Boolean, Object,
    Array, Array<T>, T[], * (anything), unions with '|'. A type name not listed
    here (a class of the script's own) accepts any value.
    """
    text = type_text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    alternatives = _split_union(text)
    if len(alternatives) > 1:
        return any(type_matches(t, value) for t in alternatives)
    if text.endswith("[]"):
        return isinstance(value, list) and all(
            type_matches(text[:-2], v) for v in value
        )
    generic = re.fullmatch(r"Array\.?<(.+)>", text, re.I)
    if generic:
        return isinstance(value, list) and all(
            type_matches(generic.group(1), v) for v in value
        )
    lowered = text.lower()
    if lowered in ("*", "any", "?"):
        return True
    if lowered == "string":
        return isinstance(value, str)
    if lowered in ("number", "integer", "int"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok and (lowered == "number" or float(value).is_integer())
    if lowered == "boolean":
        return isinstance(value, bool)
    if lowered == "object":
        return isinstance(value, dict)
    if lowered == "array":
        return isinstance(value, list)
    if lowered == "null":
        return value is None
    return True


def _split_union(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts
