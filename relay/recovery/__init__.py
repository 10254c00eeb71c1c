"""Recovery without escrow (DESIGN §4): after a person re-enrols with a new key, a
facilitator of the case re-encrypts the case's history to it. A plain package, not an app:
it works on ``moderation.MessageKey`` and holds no model of its own."""
