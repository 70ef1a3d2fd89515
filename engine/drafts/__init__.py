"""Offline drafts of create/update configurations: stored, compared with the model, exported and imported."""
