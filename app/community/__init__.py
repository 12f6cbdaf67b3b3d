"""The street, its communities, households, bodies and their members, handler organisations."""
