"""Concrete implementations behind the conversation's ports: recommender, deployer, chart, state
stores."""
