"""The admin UI: server-rendered pages (Jinja2) with a small script for the upload tool."""
