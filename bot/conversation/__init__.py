"""The channel-neutral conversation: flow, steps, what-ifs, cards, replies and the per-thread state
port."""
