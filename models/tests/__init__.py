"""pytest checks of the models package (python3 -m pytest from the repository root)."""
