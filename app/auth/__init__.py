"""Accounts: sign-up, verification, login, activation codes, API tokens."""
