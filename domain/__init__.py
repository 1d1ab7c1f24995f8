"""Preflight's shared vocabulary: frozen pydantic models and the error tree.

This package imports nothing of Preflight's own and no third-party SDK besides pydantic.
Every other package speaks in these types.
"""
