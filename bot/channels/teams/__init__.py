"""Microsoft Teams: the Bot Framework handler and Adaptive Cards (the one place to switch SDKs)."""
