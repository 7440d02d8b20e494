"""Comments, following and favourites of the process register (e-mail goes through the
platform's outbox)."""
