"""Admin for assets: upload (create or replace), download, delete."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header

from assets_app import repository, rules
from assets_app.api import guess_mimetype, save_upload
from assets_app.models import Asset
from tenants.admin_scope import TenantScopedAdmin


class AssetForm(forms.ModelForm):
    upload = forms.FileField(
        required=False, help_text="The file; required for a new asset."
    )
    name = forms.CharField(
        max_length=255, required=False, help_text="Defaults to the file's name."
    )
    mimetype = forms.CharField(
        max_length=255, required=False, help_text="Defaults to a guess from the name."
    )

    class Meta:
        model = Asset
        fields = ["tenant", "name", "mimetype"]

    def clean(self):
        data = super().clean()
        uploaded = data.get("upload")
        if self.instance.pk:
            data["name"] = self.instance.name
            data["tenant"] = self.instance.tenant
        elif uploaded is None:
            raise forms.ValidationError({"upload": "Choose a file to upload."})
        name = data.get("name") or getattr(uploaded, "name", "")
        self.content = None
        if uploaded is not None:
            too_large = rules.size_problem(uploaded.size)
            if too_large:
                raise forms.ValidationError({"upload": too_large})
            self.content = uploaded.read()
        mimetype = data.get("mimetype") or (
            self.instance.mimetype
            if self.instance.pk and uploaded is None
            else guess_mimetype(name, uploaded)
        )
        for field, problem in (
            ("name", rules.name_problem(name)),
            ("mimetype", rules.mimetype_problem(mimetype)),
        ):
            if problem:
                raise forms.ValidationError({field: problem})
        data["name"], data["mimetype"] = name, mimetype
        return data


@admin.register(Asset)
class AssetAdmin(TenantScopedAdmin):
    form = AssetForm
    list_display = ["name", "tenant", "mimetype", "size", "updated_at", "download"]
    list_filter = ["tenant", "mimetype"]
    search_fields = ["name"]
    readonly_fields = ["size", "sha256", "version", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return ["tenant", "name", *fields, "download"] if obj else fields

    def get_fields(self, request, obj=None):
        base = ["upload", "mimetype"]
        return ["tenant", "name", *base] if obj is None else base

    @admin.display(description="content")
    def download(self, obj):
        url = reverse("admin:assets_app_asset_download", args=[obj.pk])
        return format_html('<a href="{}">download</a>', url)

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="assets_app_asset_download",
            )
        ]
        return extra + super().get_urls()

    def download_view(self, request, pk):
        asset = get_object_or_404(Asset, pk=pk)
        if not self.has_view_permission(request, asset):
            return HttpResponse(status=403)
        response = HttpResponse(repository.read(asset), content_type=asset.mimetype)
        filename = asset.name.rsplit("/", 1)[-1]
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        tenant = obj.tenant
        if form.content is None:  # only the MIME type changed
            obj.save()
            return
        asset, _ = save_upload(tenant, data["name"], form.content, data["mimetype"])
        obj.pk, obj._state.adding = asset.pk, False

    def delete_model(self, request, obj):
        with transaction.atomic():
            repository.delete(obj.tenant, obj.name)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
