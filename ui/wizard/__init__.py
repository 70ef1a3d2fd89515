"""The create/update wizard (QWizard) and its offline drafts."""
