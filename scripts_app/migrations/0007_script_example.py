from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scripts_app", "0006_script_execute_permission"),
    ]

    operations = [
        migrations.AddField(
            model_name="script",
            name="example",
            field=models.BooleanField(
                default=False,
                help_text="Loaded from examples/ and not changed since: it gives way "
                "to a script that registers a path it holds (it is removed).",
            ),
        ),
    ]
