"""What happens to a signature: signing, verifying, withdrawing, the notice, thanks, retention."""
