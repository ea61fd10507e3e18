"""rosterport: an open-source roster data hub for school districts."""

__version__ = "0.1.0"
