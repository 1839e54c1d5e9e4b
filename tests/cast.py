"""The fixed cast of tenants and users every test uses.

Tenants: acme (domain acme.test) and globex (domain globex.test), plus the
default tenant that migrations create.
Users: alice owns acme, bob develops in acme, charlie views acme, dave has no
role anywhere, erin owns globex, root is a superuser.
"""

from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from tenants.models import Membership, Role, Tenant

PASSWORD = "correct-horse-battery"


def make_cast():
    User = get_user_model()
    acme = Tenant.objects.create(slug="acme", name="Acme", domains=["acme.test"])
    globex = Tenant.objects.create(
        slug="globex", name="Globex", domains=["globex.test"]
    )
    users = {}
    for name in ("alice", "bob", "charlie", "dave", "erin"):
        users[name] = User.objects.create_user(name, f"{name}@example.com", PASSWORD)
    users["root"] = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    Membership.objects.create(user=users["alice"], tenant=acme, role=Role.OWNER)
    Membership.objects.create(user=users["bob"], tenant=acme, role=Role.DEVELOPER)
    Membership.objects.create(user=users["charlie"], tenant=acme, role=Role.VIEWER)
    Membership.objects.create(user=users["erin"], tenant=globex, role=Role.OWNER)
    tokens = {name: Token.objects.create(user=user).key for name, user in users.items()}
    return {"acme": acme, "globex": globex, **users, "tokens": tokens}
