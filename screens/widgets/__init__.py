"""Reusable widgets of the wizard screens (each carries its own DEFAULT_CSS)."""
