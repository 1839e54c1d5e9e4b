from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and members"

    def ready(self):
        from tenants import signals  # noqa: F401
