"""Our implementation guide: profiles, extensions and value sets, and validation against them."""
