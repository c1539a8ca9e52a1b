"""Every model call: the llama.cpp server and CLI, the HTTP client, the retry policy, the cached model call and
its response cache, credentials, endpoints."""
