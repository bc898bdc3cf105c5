"""The procedure tests' fixtures (merit.discipline.tests.conftest): the web world, uploads in a temporary
folder, the actions' messages in English."""

from merit.discipline.tests.conftest import (  # noqa: F401  (fixtures)
    World,
    build_world,
    client_for,
    english_messages,
    media,
    world,
)
