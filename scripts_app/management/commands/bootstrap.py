"""Create the default tenant and an admin user, then load examples/ (idempotent)."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.conf import scripts_setting
from tenants.models import Membership, Role, Tenant


class Command(BaseCommand):
    help = "Prepare a fresh installation: default tenant, admin user, example scripts."

    def handle(self, *args, **options):
        slug = scripts_setting("DEFAULT_TENANT")
        tenant, _ = Tenant.objects.get_or_create(
            slug=slug, defaults={"name": slug.title()}
        )
        username = os.environ.get("SCRIPTHOST_ADMIN_USER", "admin")
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            password = os.environ.get("SCRIPTHOST_ADMIN_PASSWORD")
            generated = not password
            password = password or secrets.token_urlsafe(12)
            user = User.objects.create_superuser(username, "", password)
            if generated:
                self.stdout.write(
                    self.style.WARNING(
                        f"Created admin user '{username}' with password: {password}\n"
                        "(shown once; set SCRIPTHOST_ADMIN_PASSWORD to choose it)"
                    )
                )
            else:
                self.stdout.write(f"Created admin user '{username}'.")
        Membership.objects.get_or_create(
            user=user, tenant=tenant, defaults={"role": Role.OWNER}
        )
        call_command("load_examples", tenant=slug, stdout=self.stdout)
