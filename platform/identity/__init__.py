"""Identity: users, roles, API tokens, login."""
