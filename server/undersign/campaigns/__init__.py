"""Petitions and what shows them: texts, the count, pictures, share cards, charts, news."""
