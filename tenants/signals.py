"""Keep the default tenant present and the tenant cache fresh."""

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from core.conf import scripts_setting
from tenants.models import ChangeCounter, Tenant


@receiver(post_migrate)
def ensure_default_tenant(sender, app_config=None, **kwargs):
    if app_config is None or app_config.name != "tenants":
        return
    slug = scripts_setting("DEFAULT_TENANT")
    Tenant.objects.get_or_create(slug=slug, defaults={"name": slug.title()})


@receiver(post_save, sender=Tenant)
@receiver(post_delete, sender=Tenant)
def tenants_changed(sender, **kwargs):
    ChangeCounter.bump("tenants")
