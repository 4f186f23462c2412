"""``$analyze-food`` helpers: the request, the recognised items, the intake and the answer."""
