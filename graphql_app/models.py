"""GraphQL operations scripts registered (graphQLRegistry.registerQuery and the like)."""

from django.db import models

from scripts_app.models import Script
from tenants.models import Tenant


class GraphQLOperation(models.Model):
    """One field of the tenant's Query, Mutation or Subscription type, and its resolver.

    Written by uploads only (graphql_app.registry.store); `sdl` is the fragment
    the script registered, checked and merged with the tenant's others.
    """

    class Kind(models.TextChoices):
        QUERY = "query", "query"
        MUTATION = "mutation", "mutation"
        SUBSCRIPTION = "subscription", "subscription"

    class Visibility(models.TextChoices):
        INTERNAL = "internal", "internal: executeGraphQL of the same script"
        ENGINE = "engine", "engine: executeGraphQL of any script of the tenant"
        EXTERNAL = "external", "external: also /graphql"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    script = models.ForeignKey(
        Script, on_delete=models.CASCADE, related_name="graphql_operations"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=128, help_text="The field's name.")
    sdl = models.TextField(help_text="The SDL fragment the script registered.")
    handler = models.CharField(max_length=128, help_text="The resolver function.")
    visibility = models.CharField(max_length=16, choices=Visibility.choices)

    class Meta:
        verbose_name = "GraphQL operation"
        ordering = ["tenant", "kind", "name"]
        constraints = [
            # One resolver per root field in a tenant, whichever script has it.
            models.UniqueConstraint(
                fields=["tenant", "kind", "name"], name="one_graphql_field_per_root"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.name} -> {self.script.name}.{self.handler}"
