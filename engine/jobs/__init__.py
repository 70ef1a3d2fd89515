"""Jobs: a change to a model carried out step by step on the engine's worker thread, with rollback."""
