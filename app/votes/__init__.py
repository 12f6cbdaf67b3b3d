"""Votes in a meeting: who may cast, the legal tally, receipts and the sealed ballot chain."""
