"""LISA Desktop: a desktop console for the models of a LISA deployment."""

__version__ = "0.1.0"

APP_DIR_NAME = "lisa-desktop"
"""The folder name under the platform's config, cache and log directories."""
