"""People: organisations, accounts, permissions (who may do what, where) and notifications."""
