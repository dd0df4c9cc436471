"""Subscriptions: subscribe, confirm, manage, unsubscribe, tokens, suppression, import."""
