"""German, French and Spanish requirement words rewritten as the English ones understanding reads.

A message is taken to be in one of these languages when more of its words are that language's
common words than English ones (:func:`detect`). Its requirement vocabulary (people, load, time
and money units, latency words, tasks, quantization, licence, batch windows, priorities) is then
replaced phrase by phrase with English words ("2000 Mitarbeiter" → "2000 employees", "unter 1
Sekunde" → "under 1 second", "premier token" → "first token", "muss in 6 Stunden fertig sein" →
"must finish within 6 hours"), in table order: whole phrases come before the words inside them,
so "Latenz ist am wichtigsten" is a priority before "Latenz" becomes "latency". Numbers, GPU and
model names stay as written, and locale number formats are :mod:`bot.understanding.quantities`'
business. Words the tables do not hold stay as they are. Any other language is reported by
:func:`other_language` so the reply can say plainly that Preflight reads English, German, French
and Spanish only. Pure string work: no I/O.
"""

from __future__ import annotations

import re
from functools import cache

_STOPWORDS = {
    "en": (
        "the a an and for with we our is are be to of in on at per it must should need want "
        "about under only than that this have has from"
    ),
    "de": (
        "der die das und für mit wir unser unsere ist sind ein eine einen pro nicht unter muss "
        "soll brauchen von auf zu im am nur höchstens etwa je vom bei beginnen"
    ),
    "fr": (
        "le la les des pour avec nous notre est sont un une par pas moins sous doit en du au "
        "uniquement environ de dans avant tout"
    ),
    "es": (
        "el la los las para con necesitamos nuestro es son un una por menos solo debe del al "
        "unos como máximo en de lo más"
    ),
}
_OTHER_STOPWORDS = {
    "Italian": "il gli per con abbiamo bisogno una degli sono della meno",
    "Portuguese": "o os para com precisamos uma dos são não menos nosso",
    "Dutch": "het een voor met wij hebben nodig zijn niet onder minder",
}

_DE = (
    (
        r"(?:muss|müssen|soll|sollen) (innerhalb von|binnen|in) (\d+(?:[.,]\d+)?) ?"
        r"(stunden?|minuten) (?:fertig|erledigt|abgeschlossen|durch)(?: sein)?",
        r"must finish within \2 \3",
    ),
    (r"kosten sind am wichtigsten|kosten zuerst|so günstig wie möglich", "cost matters most"),
    (r"geschwindigkeit ist am wichtigsten|latenz ist am wichtigsten", "latency matters most"),
    (r"qualität ist am wichtigsten|qualität zuerst", "quality matters most"),
    (r"(?:offene[nr]?|freie[nr]?) lizenz|offen lizenziert\w*", "open-license"),
    (r"freizügige[nr]? lizenz|permissive[nr]? lizenz", "permissive license"),
    (r"volle[nr]? (?:präzision|genauigkeit)", "full precision"),
    (r"ist (?:ok|okay|in ordnung|akzeptabel|erlaubt)|geht auch", "is fine"),
    (r"nächtliche[nrms]?", "nightly"),
    (r"zeitfenster|fenster", "window"),
    (r"zeit zwischen (?:den )?tokens?", "time between tokens"),
    (r"mitarbeiter(?:innen|n)?|angestellten?|beschäftigten?", "employees"),
    (r"(?:be)?nutzer(?:innen|n)?|anwender(?:innen|n)?", "users"),
    (r"entwickler(?:innen|n)?", "developers"),
    (r"gleichzeitige?n?|parallele?n?|zeitgleich", "concurrent"),
    (r"anfragen|abfragen|requests", "requests"),
    (r"pro sekunde|je sekunde|in der sekunde", "per second"),
    (r"pro minute", "per minute"),
    (r"pro tag|am tag|täglich|je tag", "per day"),
    (r"pro nacht|jede nacht|nächtlich", "per night"),
    (r"pro monat|im monat|monatlich|je monat", "per month"),
    (r"pro stunde|je stunde", "per hour"),
    (r"pro jahr|im jahr|jährlich", "per year"),
    (r"millisekunden?", "ms"),
    (r"sekunden?", "seconds"),
    (r"minuten", "minutes"),
    (r"stunden?", "hours"),
    (r"erstes? token|ersten token", "first token"),
    (r"antwortzeit|reaktionszeit|latenz", "latency"),
    (r"gesamte antwort|vollständige antwort", "full answer"),
    (r"antwort(?:en)?", "answer"),
    (r"beginnen|anfangen|starten", "start"),
    (r"unter|weniger als|schneller als", "under"),
    (r"höchstens|maximal|max\.", "at most"),
    (r"mindestens", "at least"),
    (r"innerhalb von|binnen", "within"),
    (r"etwa|ungefähr|rund|circa|ca\.", "about"),
    (r"zusammenfassung\w*|zusammenfassen", "summarization"),
    (r"übersetzung\w*|übersetzen", "translation"),
    (r"extraktion|extrahieren|auslesen", "extraction"),
    (r"codevervollständigung|code-vervollständigung|autovervollständigung", "code completion"),
    (r"codegenerierung|code-generierung", "code generation"),
    (r"rechnungen", "invoices"),
    (r"dokumente(?:n)?", "documents"),
    (r"eingabe", "input"),
    (r"ausgabe", "output"),
    (r"kontext(?:länge|fenster)?", "context"),
    (r"keine quantisierung|nicht quantisier\w*|ohne quantisierung", "no quantization"),
    (r"quantisierung", "quantization"),
    (r"budget von|budget", "budget"),
    (r"vom typ", ""),
    (r"nur", "only"),
    (r"mit", "with"),
    (r"und", "and"),
    (r"für", "for"),
    (r"wir haben", "we have"),
    (r"median", "median"),
    (r"von", "of"),
)
_FR = (
    (r"le coût avant tout|le coût d'abord|le moins cher possible", "cost matters most"),
    (r"la latence avant tout|la vitesse avant tout", "latency matters most"),
    (r"la qualité avant tout", "quality matters most"),
    (r"licence (?:ouverte|libre)", "open-license"),
    (r"licence permissive", "permissive license"),
    (r"pleine précision|précision complète", "full precision"),
    (r"est (?:acceptable|autorisée?|ok)|ça va|c'est bon", "is fine"),
    (r"traitement par lots|par lots|en lots?", "batch"),
    (r"nocturnes?", "nightly"),
    (
        r"(?:finir|terminer|être terminée?s?|être finie?s?|achever|boucler) (en|dans|sous)",
        "finish within",
    ),
    (r"fenêtre de", "window of"),
    (r"temps entre (?:les )?tokens", "time between tokens"),
    (r"d'au moins", "of at least"),
    (r"employés|salariés|collaborateurs", "employees"),
    (r"utilisateurs", "users"),
    (r"développeurs", "developers"),
    (r"simultanés|simultanées|simultané|en même temps|en parallèle|concurrents", "concurrent"),
    (r"requêtes|demandes", "requests"),
    (r"par seconde", "per second"),
    (r"par minute", "per minute"),
    (r"par jour|chaque jour|quotidiennes?", "per day"),
    (r"par nuit|chaque nuit", "per night"),
    (r"par mois|mensuels?", "per month"),
    (r"par heure", "per hour"),
    (r"par an|par année", "per year"),
    (r"millisecondes?", "ms"),
    (r"secondes?", "seconds"),
    (r"heures?", "hours"),
    (r"premier token|premier jeton|premiers? tokens?", "first token"),
    (r"temps de réponse|latence", "latency"),
    (r"réponse complète", "full answer"),
    (r"réponses?", "answer"),
    (r"en moins de|moins de|sous", "under"),
    (r"au maximum|au plus|maximum", "at most"),
    (r"au moins", "at least"),
    (r"environ", "about"),
    (r"résumés?|résumer|synthèse", "summarization"),
    (r"traductions?|traduire", "translation"),
    (r"extraction de données|extraction|extraire", "extraction"),
    (r"génération de code", "code generation"),
    (r"complétion de code|autocomplétion", "code completion"),
    (r"factures", "invoices"),
    (r"en entrée", "in"),
    (r"en sortie", "out"),
    (r"contexte de|contexte", "context"),
    (r"pas de quantification|sans quantification|aucune quantification", "no quantization"),
    (r"quantification", "quantization"),
    (r"(\d)(?:e|ème) percentile", r"p\1"),
    (r"au (\d+)e percentile", r"p\1"),
    (r"uniquement des|uniquement|seulement", "only"),
    (r"dollars", "dollars"),
    (r"budget de", "budget"),
    (r"pour", "for"),
    (r"avec", "with"),
    (r"nous avons", "we have"),
)
_ES = (
    (r"la latencia es lo más importante|lo más importante es la latencia", "latency matters most"),
    (
        r"el costo es lo más importante|el coste es lo más importante|lo más barato",
        "cost matters most",
    ),
    (r"la calidad es lo más importante", "quality matters most"),
    (r"licencia (?:abierta|libre)", "open-license"),
    (r"licencia permisiva", "permissive license"),
    (r"precisión completa|plena precisión", "full precision"),
    (r"está bien|es aceptable|está permitid[oa]", "is fine"),
    (r"procesamiento por lotes|por lotes|lotes?", "batch"),
    (r"nocturn[oa]s?", "nightly"),
    (r"(?:terminar|acabar|completarse|estar list[oa]s?) (?:en|dentro de)", "finish within"),
    (r"ventana de", "window of"),
    (r"tiempo entre (?:los )?tokens", "time between tokens"),
    (r"empleados|trabajadores|colaboradores", "employees"),
    (r"usuarios", "users"),
    (r"desarrolladores", "developers"),
    (r"simultáneos|simultáneas|concurrentes|a la vez|en paralelo", "concurrent"),
    (r"solicitudes|peticiones|consultas", "requests"),
    (r"por segundo", "per second"),
    (r"por minuto", "per minute"),
    (r"al día|por día|diarias?|cada día", "per day"),
    (r"por noche|cada noche", "per night"),
    (r"al mes|por mes|mensuales?", "per month"),
    (r"por hora", "per hour"),
    (r"al año|por año", "per year"),
    (r"milisegundos?", "ms"),
    (r"segundos?", "seconds"),
    (r"horas?", "hours"),
    (r"primer token|primeros tokens", "first token"),
    (r"tiempo de respuesta|latencia", "latency"),
    (r"respuesta completa", "full answer"),
    (r"respuestas?", "answer"),
    (r"en menos de|menos de|por debajo de", "under"),
    (r"como máximo|máximo|a lo sumo", "at most"),
    (r"al menos|como mínimo", "at least"),
    (r"unos|unas|aproximadamente|alrededor de", "about"),
    (r"resumir|resúmenes|resumen", "summarization"),
    (r"traducción|traducir|traducciones", "translation"),
    (r"extracción de datos|extracción|extraer", "extraction"),
    (r"autocompletado de código|completado de código", "code completion"),
    (r"generación de código", "code generation"),
    (r"facturas", "invoices"),
    (r"documentos", "documents"),
    (r"de entrada", "in"),
    (r"de salida", "out"),
    (r"contexto de|contexto", "context"),
    (r"sin cuantización|sin cuantificación|no cuantizar", "no quantization"),
    (r"cuantización", "quantization"),
    (r"percentil (\d+)", r"p\1"),
    (r"solo|sólo|únicamente", "only"),
    (r"dólares", "dollars"),
    (r"presupuesto de|presupuesto", "budget"),
    (r"para", "for"),
    (r"con", "with"),
    (r"tenemos", "we have"),
)
_TABLES = {"de": _DE, "fr": _FR, "es": _ES}
_WORD = re.compile(r"[a-zà-öø-ÿ']+")
_MIN_HITS = 1


@cache
def _stopwords(language: str) -> frozenset[str]:
    words = _STOPWORDS.get(language) or _OTHER_STOPWORDS[language]
    return frozenset(words.split())


@cache
def _table(language: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple(
        (re.compile(rf"(?<![\wà-ÿ]){pattern}(?![\wà-ÿ])"), english)
        for pattern, english in _TABLES[language]
    )


def _hits(words: list[str], language: str) -> int:
    vocabulary = _stopwords(language)
    return sum(word in vocabulary for word in words)


def detect(text: str) -> str:
    """The language of a message among English, German, French and Spanish.

    Args:
        text: Lower-cased text.

    Returns:
        ``en``, ``de``, ``fr`` or ``es``; English unless another has more common words than English.
    """
    words = _WORD.findall(text)
    scores = {language: _hits(words, language) for language in _STOPWORDS}
    best = max(scores, key=lambda language: (scores[language], language == "en"))
    if best != "en" and (scores[best] < _MIN_HITS or scores[best] <= scores["en"]):
        return "en"
    return best


def other_language(text: str) -> str | None:
    """The name of a language Preflight does not read, when the message is written in one.

    Args:
        text: Lower-cased text.

    Returns:
        ``Italian``, ``Portuguese`` or ``Dutch`` when their common words outnumber those of the
        languages Preflight reads; else None.
    """
    words = _WORD.findall(text)
    known = max(_hits(words, language) for language in _STOPWORDS)
    for language in _OTHER_STOPWORDS:
        if _hits(words, language) >= max(3, known + 2):
            return language
    return None


def to_english(text: str) -> str:
    """Requirement words of a German, French or Spanish message in English.

    Args:
        text: Lower-cased text.

    Returns:
        The text with the known phrases replaced (unchanged for English).
    """
    language = detect(text)
    if language == "en":
        return text
    for pattern, english in _table(language):
        text = pattern.sub(english, text)
    return text
