"""The ``preflight`` command line: one module per command group."""
