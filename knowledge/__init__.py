"""What Preflight knows: catalogs (models, GPUs, prices), task defaults, measured benchmark
records with a fast structured index, deployment patterns, and the semantic knowledge base.

Modules here may use ``domain`` only (and, in the two adapter modules, Qdrant/LlamaIndex and
sentence-transformers); they never read the environment.
"""
