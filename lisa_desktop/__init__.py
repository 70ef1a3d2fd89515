"""LISA Desktop: a desktop console for the models of a LISA deployment."""

__version__ = "0.1.0"
