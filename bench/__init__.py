"""Measurements of Relay against a live Daphne (``python -m bench``)."""
