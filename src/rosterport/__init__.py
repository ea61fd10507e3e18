"""rosterport: an open-source roster data hub for school districts."""

import warnings

__version__ = "0.1.0"

# asyncssh (2.24) still names cryptography's DSA classes at import, which cryptography 51
# deprecates: a warning about asyncssh's own code that says nothing to a user of rosterport
# and would reach the stderr of every command that loads the SFTP stack.
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh(\.|$)")
