"""Tests of the Textual wizard and the --plain prompts."""
