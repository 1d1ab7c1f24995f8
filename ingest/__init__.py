"""Readers that turn benchmark files (our CSV, GuideLLM reports, vLLM bench JSON) into
validated, deduplicated records with provenance, and the ``preflight ingest`` command.

An entry point beside ``bot``: it may use ``knowledge`` and ``domain`` but never ``bot``.
"""
