"""The search index, synonyms, merchandising rules and the search log."""
