"""Shared pieces every area stands on: errors, audit, sanitising, permissions, time."""
