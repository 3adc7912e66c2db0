"""Fixtures live in tests/fixtures.py so the test lint rules apply to them."""

pytest_plugins = ["tests.fixtures", "hubkit.pytest_plugin"]
