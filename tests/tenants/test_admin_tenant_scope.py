"""A tenant's admin sees only that tenant, for every model in the admin.

The walk goes through admin.site._registry, so a model registered later is
checked too: one row of it is made in acme and one in globex, and alice
(staff, acme's owner, not a superuser) must see acme's only, in the list, its
filters and every form's choices, and be refused globex's row. Models that
belong to no tenant (users, groups, tokens, celery beat) stay superusers'.
"""

import datetime

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse

from scripts_app.models import Script
from tenants.admin_scope import TenantScopedAdmin, tenant_path
from tenants.models import Membership, Tenant
from tests.cast import PASSWORD

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
SCOPED = [m for m, _ in REGISTRY if tenant_path(m) is not None]
PLATFORM = [m for m, _ in REGISTRY if tenant_path(m) is None]


def _label(model):
    return model._meta.label


def _value(field, tenant, scripts):
    """A value for a required field of a row of `tenant`."""
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.ForeignKey):
        if field.related_model is Tenant:
            return tenant
        if field.related_model is Script:
            return scripts[tenant.slug]
        raise AssertionError(f"no value for {field}")
    if isinstance(field, models.DateTimeField):
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    if isinstance(field, models.JSONField):
        return {"uri": f"/things/{tenant.slug}"}
    if isinstance(field, models.IntegerField | models.FloatField):
        return 1
    if isinstance(field, models.CharField | models.TextField):
        return f"/{tenant.slug}-row"[: field.max_length or 50]
    raise AssertionError(f"no value for {field}")


def _row(model, tenant, scripts):
    """A row of `model` in `tenant`, its required fields filled in."""
    if model is Tenant:
        return tenant
    if model is Script:
        return scripts[tenant.slug]
    if model is Membership:
        return Membership.objects.filter(tenant=tenant).first()
    values = {}
    for field in model._meta.concrete_fields:
        if field.auto_created or field.null or field.has_default():
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.blank and not isinstance(field, models.ForeignKey):
            continue
        values[field.name] = _value(field, tenant, scripts)
    return model.objects.create(**values)


@pytest.fixture
def world(cast):
    scripts = {
        slug: Script.objects.create(
            tenant=cast[slug], name=f"{slug}-script", source="function main() {}"
        )
        for slug in ("acme", "globex")
    }
    alice = cast["alice"]
    alice.is_staff = True
    alice.save()
    client = Client()
    assert client.login(username="alice", password=PASSWORD)
    return cast, scripts, client


def _url(model, name, *args):
    return reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args
    )


def test_every_model_of_a_tenant_is_scoped_in_the_admin():
    unscoped = [
        _label(m)
        for m, model_admin in REGISTRY
        if tenant_path(m) is not None and not isinstance(model_admin, TenantScopedAdmin)
    ]
    assert unscoped == []
    assert {_label(m) for m in SCOPED} >= {
        "scripts_app.Script",
        "tenants.Tenant",
        "secrets_app.Secret",
        "documents_app.Entity",
    }


@pytest.mark.parametrize("model", SCOPED, ids=_label)
def test_a_tenants_admin_lists_only_their_tenants_rows(world, model):
    cast, scripts, client = world
    mine = _row(model, cast["acme"], scripts)
    theirs = _row(model, cast["globex"], scripts)
    page = client.get(_url(model, "changelist"))
    assert page.status_code == 200
    shown = set(page.context["cl"].queryset.values_list("pk", flat=True))
    assert mine.pk in shown
    assert theirs.pk not in shown
    # Not in a row, a filter's choices, a count: nowhere on the page.
    assert "globex" not in page.content.decode().lower()


@pytest.mark.parametrize("model", SCOPED, ids=_label)
def test_another_tenants_row_is_not_there_for_a_tenants_admin(world, model):
    cast, scripts, client = world
    theirs = _row(model, cast["globex"], scripts)
    before = model.objects.filter(pk=theirs.pk).values().first()
    for name in ("change", "delete", "history"):
        response = client.get(_url(model, name, theirs.pk))
        assert response.status_code in (302, 403, 404), name
        assert "globex" not in response.content.decode().lower()
    posted = client.post(_url(model, "change", theirs.pk), {"tenant": cast["acme"].pk})
    assert posted.status_code in (302, 403, 404)
    deleted = client.post(_url(model, "delete", theirs.pk), {"post": "yes"})
    assert deleted.status_code in (302, 403, 404)
    assert model.objects.filter(pk=theirs.pk).values().first() == before


def _choice_fields(form):
    return {
        name: field
        for name, field in form.fields.items()
        if isinstance(field, forms.ModelChoiceField)
    }


def _foreign(cast, scripts, related):
    """An object of `related` that is globex's, or None if it has none."""
    if related is get_user_model():
        return cast["erin"]  # a member of globex only
    if tenant_path(related) is None:
        return None
    return related.objects.filter(
        **{tenant_path(related): cast["globex"].pk}
    ).first() or _row(related, cast["globex"], scripts)


@pytest.mark.parametrize("model", SCOPED, ids=_label)
def test_a_tenants_admin_can_pick_no_other_tenants_object_in_any_form(world, model):
    cast, scripts, client = world
    model_admin = admin.site._registry[model]
    mine = _row(model, cast["acme"], scripts)
    request = RequestFactory().get("/")
    request.user = cast["alice"]
    checked = 0
    for obj in (None, mine):
        allowed = (
            model_admin.has_add_permission(request)
            if obj is None
            else model_admin.has_change_permission(request, obj)
        )
        if not allowed:
            continue
        form_class = model_admin.get_form(request, obj)
        for name, field in _choice_fields(form_class()).items():
            other = _foreign(cast, scripts, field.queryset.model)
            assert other is not None
            assert not field.queryset.filter(pk=other.pk).exists(), name
            # A forged POST naming it is refused by the form.
            form = form_class(data={name: other.pk}, instance=obj)
            assert not form.is_valid()
            assert form.errors[name][0].startswith("Select a valid choice"), name
            checked += 1
        # The page renders those same choices.
        url = _url(model, "add") if obj is None else _url(model, "change", obj.pk)
        assert "globex" not in client.get(url).content.decode().lower()
    add_form = model_admin.get_form(request, None)()
    if model_admin.has_add_permission(request) and "tenant" in add_form.fields:
        assert checked, "the add form's tenant field was checked"


@pytest.mark.parametrize("model", PLATFORM, ids=_label)
def test_platform_models_are_for_superusers_only(world, model):
    _, _, client = world
    assert client.get(_url(model, "changelist")).status_code == 403
    assert client.get(_url(model, "add")).status_code == 403


def test_the_admin_index_shows_a_tenants_admin_their_apps_only(world):
    _, _, client = world
    page = client.get("/system/admin/").content.decode()
    assert "/system/admin/scripts_app/script/" in page
    assert "/system/admin/tenants/tenant/" in page
    assert "/system/admin/auth/user/" not in page
    assert "/system/admin/django_celery_beat/" not in page


def test_a_forged_post_creating_a_script_in_another_tenant_is_refused(world):
    cast, _, client = world
    response = client.post(
        _url(Script, "add"),
        {
            "tenant": cast["globex"].pk,
            "name": "sneaky",
            "source": "function main() {}",
            "routes-TOTAL_FORMS": "0",
            "routes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "tenant" in response.context["adminform"].form.errors
    assert not Script.objects.filter(name="sneaky").exists()


def test_autocomplete_offers_a_tenants_admin_their_tenants_only(world):
    _, _, client = world
    response = client.get(
        "/system/admin/autocomplete/",
        {
            "app_label": "tenants",
            "model_name": "membership",
            "field_name": "tenant",
            "term": "",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["acme"]


def test_a_viewer_with_staff_sees_but_changes_nothing(world):
    cast, scripts, _ = world
    charlie = cast["charlie"]
    charlie.is_staff = True
    charlie.save()
    client = Client()
    assert client.login(username="charlie", password=PASSWORD)
    page = client.get(_url(Script, "changelist"))
    assert page.status_code == 200
    assert "acme-script" in page.content.decode()
    assert client.get(_url(Script, "add")).status_code == 403
    assert client.get(_url(Tenant, "change", cast["acme"].pk)).status_code == 200
    assert client.post(_url(Tenant, "change", cast["acme"].pk), {}).status_code == 403
