"""The fault suite reuses the session broker of ``tests/conftest.py`` (scenario (b) starts its own, to stop it)."""
