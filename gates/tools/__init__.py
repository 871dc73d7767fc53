"""Adapters for external tools: build argv, run, parse output into findings (pure parsers)."""
