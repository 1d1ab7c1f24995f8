"""Slack: the Bolt app and Block Kit drawing."""
