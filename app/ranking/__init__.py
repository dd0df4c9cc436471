"""Ranking: trending score, personal relevance, diversity, explanations (pure code)."""
