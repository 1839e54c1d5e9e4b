"""REST for assets under /system/api/assets: list, upload, download, delete."""

from __future__ import annotations

import mimetypes

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from assets_app import repository, rules
from assets_app.models import Asset
from tenants.lookup import tenant_object_or_404


class AssetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Asset
        fields = ["name", "size", "mimetype", "sha256", "created_at", "updated_at"]
        read_only_fields = fields


class AssetUploadSerializer(serializers.Serializer):
    """A multipart `file`, or JSON `content` in base64; `name` defaults to the file's."""

    name = serializers.CharField(required=False, trim_whitespace=False)
    file = serializers.FileField(required=False)
    content = serializers.CharField(
        required=False, trim_whitespace=False, allow_blank=True
    )
    mimetype = serializers.CharField(required=False)


def save_upload(tenant, name: str, content: bytes, mimetype: str):
    """Store an asset; return (asset, created). Raise AssetInvalid."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return repository.put(tenant, name, content, mimetype)
        except IntegrityError:
            # Created by someone else meanwhile: the second try replaces it.
            if attempt == 2:
                raise


def guess_mimetype(name: str, uploaded=None) -> str:
    given = getattr(uploaded, "content_type", None)
    if given and given != "application/octet-stream":
        return given
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class AssetViewSet(viewsets.ViewSet):
    """The tenant's assets, shared by all its scripts.

    GET /system/api/assets lists them; GET /system/api/assets/<name> downloads one.
    """

    lookup_field = "name"
    # Names may hold '/': anything up to an optional trailing slash.
    lookup_value_regex = r".+?"

    def _get(self, request, name) -> Asset:
        return tenant_object_or_404(
            Asset, request, "asset", "/system/api/assets", name=name
        )

    @extend_schema(responses=AssetSerializer(many=True))
    def list(self, request):
        assets = Asset.objects.filter(tenant=request.tenant)
        return Response(AssetSerializer(assets, many=True).data)

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def retrieve(self, request, name=None):
        asset = self._get(request, name)
        response = HttpResponse(repository.read(asset), content_type=asset.mimetype)
        response["ETag"] = asset.etag
        return response

    @extend_schema(request=AssetUploadSerializer, responses=AssetSerializer)
    def create(self, request):
        return self._save(request, None)

    @extend_schema(request=AssetUploadSerializer, responses=AssetSerializer)
    def update(self, request, name=None):
        return self._save(request, name)

    @extend_schema(responses={204: None})
    def destroy(self, request, name=None):
        with transaction.atomic():
            if not repository.delete(request.tenant, name):
                raise NotFound(rules.not_found(name))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _save(self, request, name):
        data = AssetUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        uploaded = fields.get("file")
        name = name or fields.get("name") or getattr(uploaded, "name", None)
        if not name:
            raise ValidationError({"name": ["This field is required."]})
        try:
            if uploaded is not None:
                too_large = rules.size_problem(uploaded.size)
                if too_large:
                    raise rules.AssetInvalid(too_large)
                content = uploaded.read()
            elif "content" in fields:
                content = rules.decode(fields["content"])
            else:
                raise ValidationError(
                    {"file": ["Send a multipart 'file' or base64 'content'."]}
                )
            mimetype = fields.get("mimetype") or guess_mimetype(name, uploaded)
            asset, created = save_upload(request.tenant, name, content, mimetype)
        except rules.AssetInvalid as exc:
            raise ValidationError({"asset": [str(exc)]}) from None
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(AssetSerializer(asset).data, status=code)
