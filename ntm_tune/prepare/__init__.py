"""`ntm-tune prepare`: turn a text corpus or a document-term matrix into an NTM dataset version.

Modules: `reader` streams documents, `vocabulary` chooses words and counts them with
scikit-learn's CountVectorizer, `matrix` loads .npz input, `recordio` writes
recordIO-protobuf shards, `dataset` writes a version folder, `destination` publishes it
locally or to S3, and `pipeline` runs these steps in order.
"""

# CountVectorizer's default: words of two or more letters or digits.
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
DEFAULT_RECORDS_PER_SHARD = 50_000
