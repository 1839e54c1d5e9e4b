"""Routes of an app's own kind: Route.asset becomes kind "asset" + resource."""

from django.db import migrations, models


def asset_routes_have_a_kind(apps, schema_editor):
    Route = apps.get_model("scripts_app", "Route")
    Route.objects.exclude(resource="").update(kind="asset")


def kinds_back_to_assets(apps, schema_editor):
    Route = apps.get_model("scripts_app", "Route")
    Route.objects.exclude(kind__in=("", "asset")).update(resource="")


class Migration(migrations.Migration):
    dependencies = [
        ("scripts_app", "0002_capabilities_and_asset_routes"),
    ]

    operations = [
        migrations.RenameField(
            model_name="route", old_name="asset", new_name="resource"
        ),
        migrations.AddField(
            model_name="route",
            name="kind",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.RunPython(asset_routes_have_a_kind, kinds_back_to_assets),
    ]
