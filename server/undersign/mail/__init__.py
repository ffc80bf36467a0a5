"""Outgoing email: the outbox, its delivery, and the messages themselves."""
