"""The tantivy engine (tantivy-py): an index directory beside the database. See backend.py."""

from shopstack.search.backends.tantivy_engine.backend import TantivyBackend

__all__ = ["TantivyBackend"]
