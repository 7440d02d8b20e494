"""Comments, following, favourites and the e-mail outbox of the process register."""
