"""Keeps the command import list valid until the topic modules land; remove when one exists."""
