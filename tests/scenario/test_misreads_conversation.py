"""Issue 14's misreads through the chat flow: the card echoes every field it read, and names
what it could not place under "Not understood"."""

from __future__ import annotations

import pytest

from bot.conversation.replies import Reply
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot

recommender = conversation_harness.recommender
testbot = conversation_harness.testbot


def _field(reply: Reply, label: str) -> str:
    return next((field.value for field in reply.fields if field.label == label), "")


@pytest.mark.parametrize(
    ("text", "echoed"),
    [
        pytest.param(
            "RAG for 300 users with 64k token prompts and 2000 token outputs",
            ["prompts ~64,000 tokens", "answers ~2,000 tokens"],
            id="tokens",
        ),
        pytest.param(
            "Extraction at 5 RPS, 1500 token inputs, 200 token JSON outputs",
            ["prompts ~1,500 tokens", "answers ~200 tokens"],
            id="json-outputs",
        ),
        pytest.param(
            "Chatbot for 500 users, the model must be open-license, int4 AWQ weights please",
            ["licence: open-weights", "quantization: allowed"],
            id="licence-and-quantization",
        ),
        pytest.param("Chatbot for 400 users, fp8 only", ["quantization: 8bit"], id="fp8-only"),
        pytest.param(
            "Nightly batch of 50k product texts a day, must finish in 6 hours",
            ["50,000 req/day", "done within 6 h"],
            id="window",
        ),
        pytest.param(
            "Chatbot for 300 users, we have 8 H100s and 4 A100s",
            ["H100/A100", "≤ 12 GPUs"],
            id="gpu-counts",
        ),
        pytest.param(
            "Chatbot für 2000 Mitarbeiter, die Antwort muss unter 1 Sekunde beginnen",
            ["2,000 people", "TTFT p95 ≤ 1 s"],
            id="german",
        ),
        pytest.param(
            "Chatbot pour 2 000 employés, 150 utilisateurs simultanés, 4000 tokens en entrée et "
            "300 tokens en sortie, licence ouverte, sans quantification, uniquement des A100 80GB",
            [
                "2,000 people",
                "150 users at once",
                "prompts ~4,000 tokens",
                "answers ~300 tokens",
                "licence: open-weights",
                "quantization: forbidden",
                "A100-SXM-80GB/A100-PCIe-80GB",
            ],
            id="french",
        ),
        pytest.param(
            "Lote nocturno de 40.000 documentos, debe terminar en 6 horas, solo modelos de "
            "licencia abierta, 4-bit está bien, como máximo 4 GPUs H100 80GB",
            [
                "40,000 req/day",
                "done within 6 h",
                "licence: open-weights",
                "quantization: allowed",
                "H100-SXM-80GB/H100-PCIe-80GB",
                "≤ 4 GPUs",
            ],
            id="spanish",
        ),
        pytest.param(
            "Nächtlicher Batch mit 40.000 Dokumenten, muss innerhalb von 6 Stunden fertig sein, "
            "nur Modelle mit offener Lizenz, wir haben 8 H100 und 4 A100",
            ["40,000 req/day", "done within 6 h", "licence: open-weights", "≤ 12 GPUs"],
            id="german-window-licence",
        ),
        pytest.param(
            "Chatbot for 1,800 staff, maybe 300 active at peak, A100 80GB only",
            ["1,800 people", "300 users at once", "A100-SXM-80GB/A100-PCIe-80GB"],
            id="population-concurrency-exact-gpus",
        ),
    ],
)
def test_the_reply_echoes_every_field_read(testbot: TestBot, text: str, echoed: list[str]) -> None:
    replies = testbot.say(text)

    said = " ".join(_field(reply, "You said") or _field(reply, "Now") for reply in replies)
    said += " ".join(reply.text for reply in replies)
    for part in echoed:
        assert part in said, (part, [reply.plain_text() for reply in replies])


def test_an_unknown_gpu_is_named_not_counted(testbot: TestBot) -> None:
    replies = testbot.say("Support chatbot for 2000 employees on RTX 9090 GPUs")

    not_understood = " ".join(_field(reply, "Not understood") for reply in replies)
    assert "I don't know the GPU 'RTX 9090' (closest: RTX 4090, RTX PRO 6000)" in not_understood
    assert testbot.state.requirements.max_gpus is None


def test_an_unknown_model_is_named_and_corrected_in_one_message(testbot: TestBot) -> None:
    first = testbot.say("Chatbot for 2000 employees with llama 4 70b")

    not_understood = " ".join(_field(reply, "Not understood") for reply in first)
    assert "'Llama 4 70B' is not a model I know: Llama-3.3-70B or Llama-4-Scout" in not_understood
    assert testbot.state.requirements.models == []

    second = testbot.say("ok, Llama-3.3-70B then")

    assert testbot.state.requirements.models == ["meta-llama/Llama-3.1-70B"]
    assert all(not _field(reply, "Not understood") for reply in second)


def test_a_message_with_only_an_unknown_name_still_says_so(testbot: TestBot) -> None:
    replies = testbot.say("RTX 9090")

    assert any("RTX 9090" in _field(reply, "Not understood") for reply in replies)


def test_a_language_not_read_is_said_plainly(testbot: TestBot) -> None:
    replies = testbot.say(
        "Abbiamo bisogno di un chatbot per gli utenti della azienda con meno costi"
    )

    notes = " ".join(_field(reply, "Not understood") for reply in replies)
    assert "Italian" in notes and "English, German, French and Spanish" in notes
