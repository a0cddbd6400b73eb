"""Usage events: the model, event sets, loading and saving exports, edits with undo, queries, the sample."""
