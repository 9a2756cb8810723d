"""Stacks of the NTM tuning app."""
