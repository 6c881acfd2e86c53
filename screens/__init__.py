"""Textual UI for k8s-wizard. Only this package (and prompts) may import textual/questionary."""
