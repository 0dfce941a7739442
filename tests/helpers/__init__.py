"""Code the tests share: fixtures registered for every test (see tests/conftest.py) and helpers
imported by name, never from a conftest or another test module."""
