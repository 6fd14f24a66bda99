"""Modal dialogs: confirm, justification, reauthenticate (the lock), file path, choice,
affiliations."""
