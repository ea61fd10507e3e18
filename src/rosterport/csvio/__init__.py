"""CSV input and output adapters: bytes to tables, folders and zips to files, templates."""
