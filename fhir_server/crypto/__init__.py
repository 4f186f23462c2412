"""PHI protection in the server: loading the keys, refreshing them, rotating them."""
