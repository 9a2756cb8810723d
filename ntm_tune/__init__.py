"""Command-line tools for the NTM tuning stack (`ntm-tune`)."""
