"""Columnar checks. Each module holds one family of checks and returns issue frames."""
