"""Encryption of secret values at rest (Fernet), with keys from settings or var/.

Each key is a passphrase; its SHA-256 digest is the Fernet key. The first key
encrypts, every key decrypts, so a new key can be put in front of the old one
and `manage.py rotate_secrets` re-encrypts everything with it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

from core.conf import scripts_setting

KEY_FILE = "secrets_key"


def _key_file() -> Path:
    return Path(settings.VAR_DIR) / KEY_FILE


def _generated_key() -> str:
    """Read var/secrets_key, creating it once (atomically) if it is missing."""
    path = _key_file()
    if not path.exists():
        temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}")
        temporary.write_text(secrets.token_urlsafe(32))
        temporary.chmod(0o600)
        try:
            # link() fails if another process made the file first: keep theirs.
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


def keys() -> tuple[str, ...]:
    """Return the configured passphrases, the one that encrypts first."""
    configured = scripts_setting("SECRETS_KEY")
    if isinstance(configured, str):
        configured = configured.split(",")
    found = tuple(k.strip() for k in configured or () if k and k.strip())
    return found or (_generated_key(),)


@functools.lru_cache(maxsize=4)
def _cipher(passphrases: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(p.encode()).digest()))
            for p in passphrases
        ]
    )


def cipher() -> MultiFernet:
    return _cipher(keys())
