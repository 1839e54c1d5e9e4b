"""The document store in the admin: browse, edit and delete entities."""

from django import forms
from django.contrib import admin
from django.db import transaction

from documents_app import store
from documents_app.models import Entity
from tenants.admin_scope import TenantScopedAdmin


class EntityForm(forms.ModelForm):
    """Edit an entity's JSON; its uri comes from the body and is checked."""

    class Meta:
        model = Entity
        fields = ["tenant", "body"]

    def clean(self):
        cleaned = super().clean()
        body = cleaned.get("body")
        if body is None:
            return cleaned
        try:
            uri = store.parse_uri(body.get("uri") if isinstance(body, dict) else None)
            if uri.is_collection:
                raise store.bad("The uri must name an entity, e.g. '/assets/pump-1'")
            store.check_entity(body, uri)
        except store.StoreError as exc:
            raise forms.ValidationError({"body": exc.message}) from None
        if self.instance.pk and self.instance.uri != uri.path:
            raise forms.ValidationError(
                {"body": f"An entity's uri cannot change (it is {self.instance.uri})"}
            )
        tenant = cleaned.get("tenant")
        clash = Entity.objects.filter(tenant=tenant, uri=uri.path)
        if tenant and clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError({"body": f"{uri.path} exists in this tenant"})
        cleaned["uri"] = uri
        return cleaned

    def save(self, commit=True):
        entity = super().save(commit=False)
        uri = self.cleaned_data["uri"]
        entity.uri, entity.collection = uri.path, uri.collection
        if entity.pk:
            entity.version += 1
        if commit:
            with transaction.atomic():
                entity.save()
        return entity


@admin.register(Entity)
class EntityAdmin(TenantScopedAdmin):
    form = EntityForm
    list_display = ["uri", "collection", "tenant", "version", "updated_at"]
    list_filter = ["tenant", "collection"]
    search_fields = ["uri"]
    list_select_related = ["tenant"]
    readonly_fields = ["collection", "uri", "version", "created_at", "updated_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["tenant", "body"]
        return [
            "tenant",
            "uri",
            "collection",
            "body",
            "version",
            "created_at",
            "updated_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, "tenant"]
