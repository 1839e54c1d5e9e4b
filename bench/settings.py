"""The production settings plus the bench-only reference views' URLconf."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
