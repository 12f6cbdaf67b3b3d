"""Meetings of a body and the live room they are run in."""
