import pytest

from triggers_app.runtime import wait_for_background


@pytest.fixture
def background():
    """Wait for post-processing runs started in the background."""
    return wait_for_background
