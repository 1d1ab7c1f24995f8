"""Preflight's tests."""
