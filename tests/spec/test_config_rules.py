"""Every configuration rule: one valid and one invalid input, with the exact message."""

from __future__ import annotations

import pytest

from ntm_spec.config import load_config
from ntm_spec.errors import SpecError


def messages(raw: dict) -> list[str]:
    try:
        load_config(raw)
    except SpecError as error:
        return error.messages()
    return []


RULES = [
    (
        "instance must be a documented NTM GPU type",
        {"training": {"instance_type": "ml.g5.xlarge"}},
        {"training": {"instance_type": "ml.p4d.24xlarge"}},
        "training.instance_type: 'ml.p4d.24xlarge' is invalid: NTM is documented to train on the GPU families g4dn, g5, p2, p3, p3dn. Choose for example ml.g4dn.xlarge or ml.g5.xlarge.",
    ),
    (
        "CPU only when chosen explicitly",
        {"training": {"instance_type": "ml.m5.xlarge", "allow_cpu": True}},
        {"training": {"instance_type": "ml.m5.xlarge"}},
        "training.instance_type: 'ml.m5.xlarge' is invalid: this is a CPU instance type and the stack trains NTM on GPUs by default. Choose a GPU type such as ml.g4dn.xlarge, or set training.allow_cpu = true.",
    ),
    (
        "objective metric is NTM's",
        {"objective": {"metric": "validation:total_loss"}},
        {"objective": {"metric": "validation:loss"}},
        "objective.metric: 'validation:loss' is invalid: NTM emits only validation:total_loss. Set objective.metric = \"validation:total_loss\".",
    ),
    (
        "objective is minimized",
        {"objective": {"type": "Minimize"}},
        {"objective": {"type": "Maximize"}},
        "objective.type: 'Maximize' is invalid: validation:total_loss is a loss, so tuning must minimize it. Set objective.type = \"Minimize\".",
    ),
    (
        "parallel jobs at most max jobs",
        {"tuning": {"max_training_jobs": 4, "max_parallel_training_jobs": 4}},
        {"tuning": {"max_training_jobs": 4, "max_parallel_training_jobs": 5}},
        "tuning.max_parallel_training_jobs: 5 is invalid: it exceeds tuning.max_training_jobs (4). Set it to at most 4.",
    ),
    (
        "logarithmic scaling above zero",
        {"ranges": {"weight_decay": {"min": 0.0, "max": 1.0, "scaling": "Linear"}}},
        {"ranges": {"weight_decay": {"min": 0.0, "max": 1.0, "scaling": "Logarithmic"}}},
        "ranges.weight_decay.scaling: 'Logarithmic' is invalid: Logarithmic scaling needs every value above zero, but min is 0. Use Linear or Auto, or raise min above zero.",
    ),
    (
        "reverse logarithmic inside 0 <= x < 1",
        {"ranges": {"weight_decay": {"min": 0.0, "max": 0.9, "scaling": "ReverseLogarithmic"}}},
        {"ranges": {"rescale_gradient": {"min": 0.1, "max": 1.0, "scaling": "ReverseLogarithmic"}}},
        "ranges.rescale_gradient.scaling: 'ReverseLogarithmic' is invalid: ReverseLogarithmic scaling needs 0 <= x < 1, but the range is 0.1 to 1. Use Linear or Auto, or keep max below 1.",
    ),
    (
        "integer bounds for integer hyperparameters",
        {"ranges": {"mini_batch_size": {"min": 16, "max": 512}}},
        {"ranges": {"mini_batch_size": {"min": 16.5, "max": 512}}},
        "ranges.mini_batch_size.min: 16.5 is invalid: mini_batch_size is an integer hyperparameter. Use a whole number.",
    ),
    (
        "bounds inside NTM's own",
        {"ranges": {"learning_rate": {"min": 1e-6, "max": 1.0}}},
        {"ranges": {"learning_rate": {"min": 1e-4, "max": 2.0}}},
        "ranges.learning_rate.max: 2.0 is invalid: NTM accepts learning_rate only as a number from 1e-06 to 1. Move the bound inside that interval.",
    ),
    (
        "min below max",
        {"ranges": {"learning_rate": {"min": 0.001, "max": 0.01}}},
        {"ranges": {"learning_rate": {"min": 0.01, "max": 0.001}}},
        "ranges.learning_rate: {min = 0.01, max = 0.001} is invalid: min must be below max. Swap the bounds or widen the range; a single value belongs under [static_hyperparameters].",
    ),
    (
        "categorical values valid for NTM",
        {"ranges": {"optimizer": {"values": ["adam", "rmsprop"]}}},
        {"ranges": {"optimizer": {"values": ["adam", "lbfgs"]}}},
        "ranges.optimizer.values: 'lbfgs' is invalid: optimizer takes only sgd, adam, adagrad, adadelta, rmsprop. Remove or correct that value.",
    ),
    (
        "unknown hyperparameter names the closest",
        {"ranges": {"learning_rate": {"min": 0.001, "max": 0.01}}},
        {"ranges": {"learning_rat": {"min": 0.001, "max": 0.01}}},
        "ranges.learning_rat: 'learning_rat' is invalid: NTM has no hyperparameter of that name. Did you mean \"learning_rate\"?",
    ),
    (
        "static or tuned, never both",
        {"static_hyperparameters": {"num_topics": 20, "tolerance": 0.01}},
        {"static_hyperparameters": {"num_topics": 20, "optimizer": "adam"}},
        "static_hyperparameters.optimizer: 'adam' is invalid: optimizer is also tuned under [ranges.optimizer]; a hyperparameter is static or tuned, never both. Remove one of the two.",
    ),
    (
        "grid only with categorical ranges",
        {"tuning": {"strategy": "Grid"}, "ranges": {"optimizer": {"values": ["adam", "sgd"]}}},
        {
            "tuning": {"strategy": "Grid"},
            "ranges": {"optimizer": {"values": ["adam"]}, "learning_rate": {"min": 0.001, "max": 0.01}},
        },
        "tuning.strategy: 'Grid' is invalid: Grid search takes only categorical ranges, but these are numeric: learning_rate. Use Bayesian or Random, or remove the numeric ranges.",
    ),
    (
        "hyperband needs tuner early stopping off",
        {"tuning": {"strategy": "Hyperband", "early_stopping": "Off"}},
        {"tuning": {"strategy": "Hyperband", "early_stopping": "Auto"}},
        "tuning.early_stopping: 'Auto' is invalid: Hyperband has its own early stopping and needs the tuner's to be Off. Set tuning.early_stopping = \"Off\".",
    ),
    (
        "spot wait at most one hour",
        {"training": {"spot": {"enabled": True, "max_wait_seconds": 3600}}},
        {"training": {"spot": {"enabled": True, "max_wait_seconds": 7200}}},
        "training.spot.max_wait_seconds: 7200 is invalid: NTM cannot save checkpoints, and SageMaker limits spot training without checkpoints to 3600 s. Set it to at most 3600, or turn spot training off.",
    ),
    (
        "spot wait at least max runtime",
        {"training": {"max_runtime_seconds": 1800, "spot": {"enabled": True, "max_wait_seconds": 1800}}},
        {"training": {"max_runtime_seconds": 3600, "spot": {"enabled": True, "max_wait_seconds": 1800}}},
        "training.spot.max_wait_seconds: 1800 is invalid: it must be at least training.max_runtime_seconds (3600). Set it to 3600 or more.",
    ),
    (
        "worst-case GPU hours within budget",
        {"tuning": {"max_training_jobs": 40}, "budget": {"max_gpu_hours_per_run": 40.0}},
        {"tuning": {"max_training_jobs": 50}, "budget": {"max_gpu_hours_per_run": 40.0}},
        "budget.max_gpu_hours_per_run: 40.0 is invalid: the worst case is 50 GPU hours (tuning.max_training_jobs 50 x training.instance_count 1 x 1 GPU(s) per ml.g4dn.xlarge x training.max_runtime_seconds 3600 / 3600). Raise the budget, or lower max_training_jobs, instance_count or max_runtime_seconds.",
    ),
    (
        "channels only NTM's",
        {"channels": {"test": {"distribution": "FullyReplicated"}}},
        {"channels": {"valid": {"distribution": "FullyReplicated"}}},
        "channels.valid: 'valid' is invalid: NTM reads only the channels train, validation, test, auxiliary. Did you mean \"validation\"?",
    ),
    (
        "optional channels fully replicated",
        {"channels": {"validation": {"distribution": "FullyReplicated"}}},
        {"channels": {"validation": {"distribution": "ShardedByS3Key"}}},
        "channels.validation.distribution: 'ShardedByS3Key' is invalid: NTM requires optional channels to be FullyReplicated. Set distribution = \"FullyReplicated\".",
    ),
    (
        "job name prefix leaves room for the name",
        {"job_name_prefix": "ntm-prod"},
        {"job_name_prefix": "ntm_retune"},
        "job_name_prefix: 'ntm_retune' is invalid: a prefix must be lower-case letters, digits and single hyphens, starting with a letter. Use 1 to 12 lower-case letters, digits and single hyphens, starting with a letter, such as \"ntm-dev\".",
    ),
    (
        "misspelt key rejected, not ignored",
        {"tuning": {"max_training_jobs": 5}},
        {"tuning": {"max_trainig_jobs": 5}},
        'tuning.max_trainig_jobs: 5 is invalid: the configuration has no key of that name, so the value would be ignored. Did you mean "max_training_jobs"?',
    ),
    (
        "misspelt section rejected, not ignored",
        {"budget": {"max_gpu_hours_per_run": 30.0}},
        {"budgte": {"max_gpu_hours_per_run": 30.0}},
        'budgte: {max_gpu_hours_per_run = 30.0} is invalid: the configuration has no section or key of that name, so the value would be ignored. Did you mean "budget"?',
    ),
    (
        "misspelt nested key rejected",
        {"training": {"spot": {"enabled": False}}},
        {"training": {"spot": {"enable": True}}},
        'training.spot.enable: True is invalid: the configuration has no key of that name, so the value would be ignored. Did you mean "enabled"?',
    ),
    (
        "channel has only a distribution",
        {"channels": {"train": {"distribution": "ShardedByS3Key"}}},
        {"channels": {"train": {"distribution": "ShardedByS3Key", "distributon": "x"}}},
        "channels.train.distributon: 'x' is invalid: a channel has only the setting distribution. Did you mean \"distribution\"?",
    ),
    (
        "misspelt range key named with the closest",
        {"ranges": {"learning_rate": {"min": 0.001, "max": 0.1, "scaling": "Logarithmic"}}},
        {"ranges": {"learning_rate": {"min": 0.001, "max": 0.1, "scalng": "Logarithmic"}}},
        "ranges.learning_rate.scalng: 'Logarithmic' is invalid: a numeric range has only the keys min, max and scaling. Did you mean \"scaling\"?",
    ),
    (
        "misspelt categorical range key named",
        {"ranges": {"optimizer": {"values": ["adam", "sgd"]}}},
        {"ranges": {"optimizer": {"value": ["adam", "sgd"]}}},
        "ranges.optimizer.value: ['adam', 'sgd'] is invalid: a categorical range has only the key values. Did you mean \"values\"?",
    ),
    (
        "cron sets one day field to ?",
        {"schedule": {"expression": "cron(0 3 ? * MON *)"}},
        {"schedule": {"expression": "cron(0 3 * * MON *)"}},
        'schedule.expression: \'cron(0 3 * * MON *)\' is invalid: exactly one of the day-of-month and day-of-week fields must be ?. Write for example "cron(0 3 ? * MON *)" or "rate(7 days)".',
    ),
    (
        "cron fields within their ranges",
        {"schedule": {"expression": "cron(0/15 8-18 ? * MON-FRI *)"}},
        {"schedule": {"expression": "cron(0 24 ? * MON *)"}},
        "schedule.expression: 'cron(0 24 ? * MON *)' is invalid: its hours field '24' is not a list of values from 0 to 23, ranges (a-b), steps (a/n) or *. Write for example \"cron(0 3 ? * MON *)\" or \"rate(7 days)\".",
    ),
    (
        "rate of 1 is singular",
        {"schedule": {"expression": "rate(1 day)"}},
        {"schedule": {"expression": "rate(1 days)"}},
        'schedule.expression: \'rate(1 days)\' is invalid: a rate of 1 takes the singular unit, day. Write for example "cron(0 3 ? * MON *)" or "rate(7 days)".',
    ),
    (
        "rate above 1 is plural",
        {"schedule": {"expression": "rate(12 hours)"}},
        {"schedule": {"expression": "rate(12 hour)"}},
        'schedule.expression: \'rate(12 hour)\' is invalid: a rate above 1 takes the plural unit, hours. Write for example "cron(0 3 ? * MON *)" or "rate(7 days)".',
    ),
    (
        "static values are plain, not quoted twice",
        {"static_hyperparameters": {"num_topics": 20, "batch_norm": True}},
        {"static_hyperparameters": {"num_topics": 20, "encoder_layers_activation": '"relu"'}, "ranges": {}},
        "static_hyperparameters.encoder_layers_activation: '\"relu\"' is invalid: encoder_layers_activation takes one of sigmoid, tanh, relu. Write one of them as a plain string, without extra quotes.",
    ),
]


@pytest.mark.parametrize(("valid", "invalid", "message"), [rule[1:] for rule in RULES], ids=[rule[0] for rule in RULES])
def test_rule(valid, invalid, message):
    assert messages(valid) == []
    assert messages(invalid) == [message]


def test_every_problem_reported_at_once():
    raw = {
        "objective": {"metric": "validation:loss"},
        "tuning": {"max_training_jobs": 2, "max_parallel_training_jobs": 3},
        "training": {"instance_type": "ml.m5.xlarge"},
    }

    keys = [message.split(":")[0] for message in messages(raw)]

    assert keys == ["training.instance_type", "objective.metric", "tuning.max_parallel_training_jobs"]


def test_static_numbers_become_strings():
    config = load_config({"static_hyperparameters": {"num_topics": 20, "batch_norm": True, "tolerance": 0.01}})

    assert config.static_hyperparameters == {
        "num_topics": "20",
        "epochs": "50",
        "batch_norm": "true",
        "tolerance": "0.01",
    }


def test_budget_counts_every_gpu_of_an_instance():
    four_gpus = {"instance_type": "ml.g4dn.12xlarge"}

    # 10 jobs x 1 instance x 4 GPUs x 1 h = 40 GPU hours, the default budget.
    assert messages({"training": four_gpus, "tuning": {"max_training_jobs": 10}}) == []
    [message] = messages({"training": four_gpus, "tuning": {"max_training_jobs": 11}})
    assert message.startswith("budget.max_gpu_hours_per_run: 40.0 is invalid: the worst case is 44 GPU hours")
    assert "x 4 GPU(s) per ml.g4dn.12xlarge x" in message


def test_budget_reported_beside_other_problems():
    raw = {"objective": {"metric": "train:total_loss"}, "budget": {"max_gpu_hours_per_run": 5.0}}

    keys = [message.split(":")[0] for message in messages(raw)]

    assert keys == ["objective.metric", "budget.max_gpu_hours_per_run"]


def test_invalid_value_invents_no_second_problem():
    assert [message.split(":")[0] for message in messages({"tuning": {"max_training_jobs": "ten"}})] == [
        "tuning.max_training_jobs"
    ]


def test_cpu_instance_hours_count_against_budget():
    raw = {"training": {"instance_type": "ml.m5.xlarge", "allow_cpu": True}, "tuning": {"max_training_jobs": 50}}

    [message] = messages(raw)

    assert message.startswith("budget.max_gpu_hours_per_run: 40.0 is invalid: the worst case is 50 instance hours")
