"""``paperboy demo``: a first tour that works offline, from data shipped in the package.

Two days of real Hugging Face Daily Papers (26 and 27 November 2025, trimmed to the
fields Paperboy reads), a handful of example.org readers with different interests,
and the edition of 27 November sent to them.
"""
