"""Food composition: USDA foods with nutrients per 100 g and household portions."""
