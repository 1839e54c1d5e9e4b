"""REST for secrets under /system/api/secrets: identifiers, hosts and times out, values only in."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.response import Response

from secrets_app.destinations import normalize_allowed_hosts
from secrets_app.models import IDENTIFIER, Secret
from tenants.lookup import tenant_object_or_404
from tenants.models import Role, role_of


class SecretExists(APIException):
    status_code = status.HTTP_409_CONFLICT
    error_code = "secret_exists"


class SecretSerializer(serializers.ModelSerializer):
    class Meta:
        model = Secret
        fields = ["identifier", "allowed_hosts", "created_at", "updated_at"]
        read_only_fields = fields


class SecretWriteSerializer(serializers.Serializer):
    identifier = serializers.RegexField(IDENTIFIER, required=False)
    value = serializers.CharField(write_only=True, trim_whitespace=False)
    allowed_hosts = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False, allow_blank=True),
        required=False,
        help_text="Hosts fetch may send the secret to: api.example.com, "
        "*.example.com (subdomains), an IP address, or * (any host). "
        "New secrets default to none.",
    )

    def validate_allowed_hosts(self, value):
        try:
            return normalize_allowed_hosts(value)
        except DjangoValidationError as exc:
            raise ValidationError(exc.messages) from None


class SecretPatchSerializer(SecretWriteSerializer):
    value = serializers.CharField(
        write_only=True, trim_whitespace=False, required=False
    )


class SecretViewSet(viewsets.ViewSet):
    """List the tenant's secret identifiers; create, replace or delete secrets.

    Values are write-only: no response ever contains one. Owners and
    developers write; a stored value's allowed hosts are changed by owners
    only (or together with a new value), since moving them is what would let
    a value be sent somewhere new.
    """

    lookup_field = "identifier"
    lookup_value_regex = IDENTIFIER.strip("^$")

    def _get(self, request, identifier):
        return tenant_object_or_404(
            Secret, request, "secret", "/system/api/secrets", identifier=identifier
        )

    @extend_schema(responses=SecretSerializer(many=True))
    def list(self, request):
        secrets = Secret.objects.filter(tenant=request.tenant)
        return Response(SecretSerializer(secrets, many=True).data)

    @extend_schema(responses=SecretSerializer)
    def retrieve(self, request, identifier=None):
        return Response(SecretSerializer(self._get(request, identifier)).data)

    @extend_schema(request=SecretWriteSerializer, responses=SecretSerializer)
    def create(self, request):
        data = self._valid(request)
        identifier = data.get("identifier")
        if not identifier:
            raise ValidationError({"identifier": ["This field is required."]})
        secret = Secret(
            tenant=request.tenant,
            identifier=identifier,
            allowed_hosts=data.get("allowed_hosts", []),
        )
        self._set(secret, data["value"])
        try:
            with transaction.atomic():
                secret.save()
        except IntegrityError:
            raise SecretExists(
                f"Secret '{identifier}' already exists; replace its value with "
                f"PUT /system/api/secrets/{identifier}."
            ) from None
        return Response(SecretSerializer(secret).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SecretWriteSerializer, responses=SecretSerializer)
    def update(self, request, identifier=None):
        data = self._valid(request)
        with transaction.atomic():
            secret, created = Secret.objects.select_for_update().get_or_create(
                tenant=request.tenant,
                identifier=identifier,
                defaults={"ciphertext": ""},
            )
            self._set(secret, data["value"])
            if "allowed_hosts" in data:
                secret.allowed_hosts = data["allowed_hosts"]
            secret.save()
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(SecretSerializer(secret).data, status=code)

    @extend_schema(request=SecretPatchSerializer, responses=SecretSerializer)
    def partial_update(self, request, identifier=None):
        data = SecretPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        if "value" not in data and "allowed_hosts" not in data:
            raise ValidationError(
                {"allowed_hosts": ["Send allowed_hosts, value, or both."]}
            )
        with transaction.atomic():
            secret = self._get(request, identifier)
            secret = Secret.objects.select_for_update().get(pk=secret.pk)
            moved = data.get("allowed_hosts", secret.allowed_hosts)
            if moved != secret.allowed_hosts and "value" not in data:
                self._owner_only(request, identifier)
            if "value" in data:
                self._set(secret, data["value"])
            secret.allowed_hosts = moved
            secret.save()
        return Response(SecretSerializer(secret).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, identifier=None):
        self._get(request, identifier).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _valid(self, request) -> dict:
        data = SecretWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def _owner_only(self, request, identifier):
        if role_of(request.user, request.tenant) != Role.OWNER:
            raise PermissionDenied(
                f"Only an owner can change where the stored value of secret "
                f"'{identifier}' may be sent; a developer can send a new value "
                "together with the hosts instead."
            )

    def _set(self, secret, value):
        try:
            secret.set_value(value)
        except DjangoValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None
