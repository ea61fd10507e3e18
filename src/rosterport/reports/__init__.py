"""Renderings of a validation report: CSV error report, text summary, JSON."""
