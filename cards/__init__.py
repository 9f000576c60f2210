"""cards: turn the study notes you already write into Anki decks."""

__version__ = "0.1.0"
