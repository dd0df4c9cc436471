"""Paperboy: personalised daily digests of trending machine-learning papers."""
