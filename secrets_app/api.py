"""REST for secrets under /api/secrets: identifiers and times out, values only in."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from secrets_app.models import IDENTIFIER, Secret
from tenants.lookup import tenant_object_or_404


class SecretExists(APIException):
    status_code = status.HTTP_409_CONFLICT
    error_code = "secret_exists"


class SecretSerializer(serializers.ModelSerializer):
    class Meta:
        model = Secret
        fields = ["identifier", "created_at", "updated_at"]
        read_only_fields = fields


class SecretWriteSerializer(serializers.Serializer):
    identifier = serializers.RegexField(IDENTIFIER, required=False)
    value = serializers.CharField(write_only=True, trim_whitespace=False)


class SecretViewSet(viewsets.ViewSet):
    """List the tenant's secret identifiers; create, replace or delete secrets.

    Values are write-only: no response ever contains one.
    """

    lookup_field = "identifier"
    lookup_value_regex = IDENTIFIER.strip("^$")

    def _get(self, request, identifier):
        return tenant_object_or_404(
            Secret, request, "secret", "/api/secrets", identifier=identifier
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
        secret = Secret(tenant=request.tenant, identifier=identifier)
        self._set(secret, data["value"])
        try:
            with transaction.atomic():
                secret.save()
        except IntegrityError:
            raise SecretExists(
                f"Secret '{identifier}' already exists; replace its value with "
                f"PUT /api/secrets/{identifier}."
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
            secret.save()
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(SecretSerializer(secret).data, status=code)

    @extend_schema(responses={204: None})
    def destroy(self, request, identifier=None):
        self._get(request, identifier).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _valid(self, request) -> dict:
        data = SecretWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def _set(self, secret, value):
        try:
            secret.set_value(value)
        except DjangoValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None
