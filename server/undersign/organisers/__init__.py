"""What organisers do with what was collected: moderation, partners, exports, mailings, webhooks."""
