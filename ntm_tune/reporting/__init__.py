"""Read what the deployed stack recorded and present it.

`run_history` reads the run-history table, `progress` follows a running execution,
`training_jobs` lists a tuning job's training jobs, and `plots` draws the report
with matplotlib. boto3 and matplotlib are imported only by the modules that need them.
"""
