"""Resolve the CloudFormation intrinsics in a synthesized state machine definition.

The helpers live in `ntm_tune.rehearsal.template`, so that `ntm-tune rehearse`
can use them too; this module keeps the names that tests import.
"""

from ntm_tune.rehearsal.template import (  # noqa: F401
    ACCOUNT,
    REGION,
    resolve,
    resolve_definition,
    sample_value,
    state_machine_resource,
)
