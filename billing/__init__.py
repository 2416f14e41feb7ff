"""Billing backend: subscriptions, card vault, payment processor simulator, audit log."""
