"""Subcommands of `ntm-tune`, one module each."""
