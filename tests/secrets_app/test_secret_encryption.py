"""Secret values are encrypted at rest; keys come from settings or var/."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from secrets_app.models import Secret, SecretUnreadable

VALUE = "sk-live-0123456789abcdef"


@pytest.fixture
def keyed(settings):
    def use(key):
        settings.SCRIPTS = {**settings.SCRIPTS, "SECRETS_KEY": key}

    use("first-passphrase-for-tests")
    return use


def stored(cast, identifier="api_key", value=VALUE):
    secret = Secret(tenant=cast["acme"], identifier=identifier)
    secret.set_value(value)
    secret.save()
    return secret


def test_the_database_holds_no_trace_of_the_value(cast, keyed):
    secret = stored(cast)

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM secrets_app_secret WHERE id = %s", [secret.pk])
        row = cursor.fetchone()

    assert VALUE not in repr(row)
    assert Secret.objects.get(pk=secret.pk).reveal() == VALUE


def test_another_key_cannot_read_the_value(cast, keyed):
    secret = stored(cast)
    keyed("a-different-passphrase")

    with pytest.raises(SecretUnreadable):
        Secret.objects.get(pk=secret.pk).reveal()


def test_a_new_key_in_front_of_the_old_one_still_reads_old_values(cast, keyed):
    secret = stored(cast)
    keyed("new-passphrase, first-passphrase-for-tests")

    assert Secret.objects.get(pk=secret.pk).reveal() == VALUE


def test_rotation_re_encrypts_so_the_old_key_can_be_dropped(cast, keyed):
    secret = stored(cast)
    keyed("new-passphrase,first-passphrase-for-tests")

    call_command("rotate_secrets")
    keyed("new-passphrase")

    assert Secret.objects.get(pk=secret.pk).reveal() == VALUE


def test_rotation_without_a_fitting_key_changes_nothing(cast, keyed):
    secret = stored(cast)
    before = Secret.objects.get(pk=secret.pk).ciphertext
    keyed("unrelated-passphrase")

    with pytest.raises(CommandError, match="api_key"):
        call_command("rotate_secrets")

    assert Secret.objects.get(pk=secret.pk).ciphertext == before


def test_without_a_configured_key_one_is_generated_once_in_var(
    cast, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    settings.SCRIPTS = {**settings.SCRIPTS, "SECRETS_KEY": ""}
    secret = stored(cast)
    key_file = tmp_path / "secrets_key"
    generated = key_file.read_text()

    assert Secret.objects.get(pk=secret.pk).reveal() == VALUE
    assert key_file.read_text() == generated and len(generated) >= 32
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the owner only


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("short", "at least 8 characters"),
        ("line\nbreak-value", "no line breaks"),
        ("x" * 8193, "at most 8192"),
        ("ключ-ключ-ключ", "ASCII"),
    ],
)
def test_values_that_cannot_be_kept_safe_are_refused(cast, keyed, value, message):
    with pytest.raises(ValidationError, match=message):
        Secret(tenant=cast["acme"], identifier="bad").set_value(value)


def test_the_string_form_of_a_secret_is_its_identifier(cast, keyed):
    assert str(stored(cast)) == "api_key"
