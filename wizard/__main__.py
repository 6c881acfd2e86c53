"""``python -m wizard`` runs the CLI."""

from wizard.cli import main

raise SystemExit(main())
