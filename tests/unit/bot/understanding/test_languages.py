"""German, French and Spanish requirement words reach the English the rules read."""

from __future__ import annotations

import pytest

from bot.understanding.languages import detect, other_language, to_english


@pytest.mark.parametrize(
    ("text", "language"),
    [
        pytest.param("wir brauchen einen chatbot für 2000 mitarbeiter", "de", id="german"),
        pytest.param("nous voulons un chatbot pour 3 000 employés", "fr", id="french"),
        pytest.param("necesitamos un chatbot para 4.000 empleados", "es", id="spanish"),
        pytest.param("we need a chatbot for 2000 employees", "en", id="english"),
        pytest.param("chatbot, 40 users, l4", "en", id="no-common-words"),
    ],
)
def test_detect(text: str, language: str) -> None:
    assert detect(text) == language


@pytest.mark.parametrize(
    ("text", "english"),
    [
        pytest.param("chatbot für 2000 mitarbeiter", "2000 employees", id="mitarbeiter"),
        pytest.param("die antwort muss unter 1 sekunde beginnen", "under 1 seconds", id="unter"),
        pytest.param(
            "premier token en moins de 800 ms pour nous", "first token under 800 ms", id="fr-ttft"
        ),
        pytest.param("resumir 8000 documentos al día", "per day", id="es-daily"),
        pytest.param("chatbot con qwen3 14b, sin cuantización", "no quantization", id="es-quant"),
    ],
)
def test_requirement_words_in_english(text: str, english: str) -> None:
    assert english in to_english(text)


def test_english_is_untouched() -> None:
    text = "we need mit or apache licensed models for 50 users"

    assert to_english(text) == text


def test_a_language_not_read_is_named() -> None:
    assert (
        other_language("abbiamo bisogno di un chatbot per gli utenti della azienda con meno")
        == "Italian"
    )
    assert other_language("wir brauchen einen chatbot für 2000 mitarbeiter") is None
