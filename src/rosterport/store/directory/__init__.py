"""The accounts directory: every query on `directory_accounts` and `directory_heads`.

The modules: `sync` (the directory kept in step with the roster source by propagation, and
suspended accounts expired), `passwords` (initial passwords awaiting their hash, and the hash
a sign-in checks), `queries` (listings, one account, the SSO look-up table). Every function
runs in the caller's transaction.
"""
