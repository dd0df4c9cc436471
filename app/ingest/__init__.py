"""Ingest: fetch the day's papers from Hugging Face Daily Papers (and arXiv) and store them."""
