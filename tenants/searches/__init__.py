"""Saved searches ("Gem søgning"): a user's own filters of the register's list, kept on the
server, listed on Min side, and an optional daily e-mail of the new processes they match."""
