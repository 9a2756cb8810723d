"""Synthesize the app in-process, with cdk.json's feature flags, once per test session.

The helpers live in `ntm_tune.rehearsal.synth`, so that `ntm-tune rehearse`
can use them too; this module keeps the names that tests import.
"""

from ntm_tune.rehearsal.synth import (  # noqa: F401
    REPO_ROOT,
    TEST_ACCOUNT,
    TEST_REGION,
    SynthesizedStack,
    feature_flags,
    state_machine_definition,
    synthesize,
)
