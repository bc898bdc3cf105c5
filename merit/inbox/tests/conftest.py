"""The web tests' world (merit.web.tests.conftest: T1 li, wang; T2 zhao, sun; sup1, sup2, hr, admin, nobody)."""

from merit.web.tests.conftest import World, build_world, client_for, world  # noqa: F401  (fixtures)
