"""k8s-wizard pure core: models, validation, rendering, SOPS engine, bootstrap runner.

Nothing under ``wizard`` imports textual or questionary (tests/test_import_hygiene.py checks it).
Keep this package root free of eager imports so ``k8s-wizard --help`` stays fast.
"""

__version__ = "0.1.0"
