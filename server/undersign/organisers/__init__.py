"""What organisers do: tokens and rights, audit, moderation, partners, paper, exports, mail."""
