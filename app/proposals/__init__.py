"""Residents' proposals (居民提案制)."""
