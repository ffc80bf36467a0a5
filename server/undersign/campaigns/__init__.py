"""Petitions and what shows them: texts, paper signatures, pictures, cards, charts, news, thanks."""
