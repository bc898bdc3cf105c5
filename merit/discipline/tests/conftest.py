"""The web tests' world (merit.web.tests.conftest: T1 li, wang; T2 zhao, sun; sup1, sup2, hr, admin, nobody);
uploads go to a temporary folder."""

import pytest

from merit.web.tests.conftest import World, build_world, client_for, world  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def english_messages():
    """Messages of actions in English, whatever page a test opened before (pages follow their request)."""
    from django.utils import translation

    with translation.override("en"):
        yield
