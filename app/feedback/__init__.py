"""Feedback: clicks, opens, bounces, complaints and provider webhooks flowing back from digests."""
