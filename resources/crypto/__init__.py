"""Protection of health data at rest: envelope encryption of resource bodies and keyed blind
indexes of PHI search values. Pure code on the ``cryptography`` package; the storage adapter
loads the keys and calls it."""
