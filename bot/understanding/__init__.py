"""Chat messages → Requirements: numbers and units, the vocabulary, model names, the optional
LLM."""
