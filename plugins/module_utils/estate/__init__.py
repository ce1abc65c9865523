"""A whole estate in one desired-state document: its model, how it is read from YAML, turned into planner
entries, marked as owned, pruned and reported. The ``apply`` module composes these with the reconciler."""
