"""Named models → catalog ids, looking up ``org/name[@revision]`` ids the catalog lacks.

A name the curated catalog knows resolves as before. A name it does not know that is a
repository id goes to the context's model lookup (a model registry), and the spec that comes
back joins the models of a copy of the context, so it is sized and ranked like any other. Each
option of such a model says so on its card (:func:`noted`). Without a lookup an unknown name is
the :class:`~domain.errors.UnknownNameError` it always was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from domain.catalog import ModelSpec
from domain.recommendation import RecommendedOption
from knowledge.model_registry import find_model, registry_notes
from recommend.context import RecommendContext


def resolve_named(
    names: Sequence[str], context: RecommendContext
) -> tuple[RecommendContext, list[str]]:
    """Catalog ids of the named models, looking up repository ids the catalog lacks.

    Args:
        names: Model names as the requirements give them.
        context: The recommendation context (its ``model_lookup`` may be None).

    Returns:
        The context (a copy with the looked-up models added, when there are any) and the ids.

    Raises:
        UnknownNameError: For a name that is neither in the catalog nor a repository id, or any
            unknown name when the context has no lookup (closest catalog ids attached).
        ModelNotFoundError: When the registry has no such model (closest catalog ids in the hint).
        InvalidInputError: When the registry cannot size the model.
        ModelAccessError: When the model is private or gated and no credentials open it.
        BackendUnavailableError: When the registry did not answer and nothing is cached.
    """
    found: dict[str, ModelSpec] = {}
    ids: list[str] = []
    for name in names:
        spec = find_model(name, context.models, context.model_lookup)
        if spec.origin is not None:
            found[spec.hf_id] = spec
        ids.append(spec.hf_id)
    if found:
        context = dataclasses.replace(context, models={**context.models, **found})
    return context, ids


def lookup_notes(ids: Sequence[str], context: RecommendContext) -> list[str]:
    """What the recommendation says about named models read from a registry.

    Args:
        ids: Catalog ids of the named models.
        context: The context holding their specs.

    Returns:
        One line per fact (not in the curated catalog, gated), in the order named.
    """
    notes = [note for hf_id in ids for note in registry_notes(context.models[hf_id])]
    return list(dict.fromkeys(notes))


def noted(
    options: Sequence[RecommendedOption], context: RecommendContext
) -> list[RecommendedOption]:
    """Options whose model came from a registry, with that said first among their reasons.

    Args:
        options: The recommended options.
        context: The context holding the models' specs.

    Returns:
        The options, each registry model's with its notes prepended.
    """
    result = []
    for option in options:
        spec = context.models.get(option.model)
        notes = registry_notes(spec) if spec is not None else []
        if notes:
            option = option.model_copy(update={"reasons": [*notes, *option.reasons]})
        result.append(option)
    return result
