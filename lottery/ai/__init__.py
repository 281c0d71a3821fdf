"""The AI predictor: an OpenAI-compatible provider asked for each open issue, scored honestly.

provider (HTTP client, retries, key rotation), prompt, parse (answer validation),
store (Redis keys, history, accuracy, status), worker (the loop and its CLI command).
"""
