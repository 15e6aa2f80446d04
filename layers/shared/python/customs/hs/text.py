"""Self-describing texts for tariff lines deep in a hierarchy.

Tariff schedules describe a line only relative to its parents and siblings ("- - - Other"), which is
useless to a reader or a text model on its own. :func:`contextual_texts` turns a tree of own-line texts
into texts that stand alone: an "Other" line names the siblings it excludes and every line carries the
wording of its ancestors, e.g. ``"Other (excl. For slaughter) — under: Live horses > Horses > Other
(excl. Pure-bred breeding animals)"``. Used by the national schedule builder and the corpus builder
for every language, so the wording rules live here once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["TextNode", "clean_text", "contextual_texts", "is_other", "shorten"]

# Own-line texts that mean "everything else under the parent", per language (lower case).
_OTHER_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset({"other", "others", "other goods"}),
    "fr": frozenset({"autres", "autre"}),
    "de": frozenset({"andere", "anderer", "anderes", "andere waren"}),
    "nl": frozenset({"andere", "overige", "ander"}),
    "es": frozenset({"los demás", "las demás", "los demas", "las demas", "otros", "otras"}),
    "bg": frozenset({"други", "друг", "друго", "друга"}),
    "cs": frozenset({"ostatní"}),
    "da": frozenset({"andre varer", "i andre tilfælde", "andre"}),
    "el": frozenset({"άλλα", "άλλες", "άλλοι", "άλλο", "άλλη"}),
    "et": frozenset({"muud", "muu"}),
    "fi": frozenset({"muut", "muu"}),
    "sk": frozenset({"ostatné", "ostatná", "ostatný", "ostatní"}),
    "ko": frozenset({"기타", "그 밖의 것"}),
}
_ALL_OTHER_WORDS: frozenset[str] = frozenset().union(*_OTHER_WORDS.values())

# How each language writes "X (excluding A; B)"; {text} = own text, {items} = the excluded siblings.
_EXCL_TEMPLATES: dict[str, str] = {
    "en": "{text} (excl. {items})",
    "fr": "{text} (à l'excl. de {items})",
    "de": "{text} (ausg. {items})",
    "nl": "{text} (m.u.v. {items})",
    "es": "{text} (excepto {items})",
    "bg": "{text} (без {items})",
    "cs": "{text} (kromě {items})",
    "da": "{text} (undtagen {items})",
    "el": "{text} (εκτός από {items})",
    "et": "{text} (v.a {items})",
    "fi": "{text} (paitsi {items})",
    "sk": "{text} (okrem {items})",
    "ko": "{text}({items} 제외)",
}
_UNDER: dict[str, str] = {"en": " — under: "}
_DEFAULT_UNDER = " — "
_PATH_SEP = " > "

_MAX_ANCESTOR_CHARS = 160  # long heading texts are cut so that deep lines stay readable
_MAX_SIBLING_CHARS = 70
_MAX_SIBLINGS = 6

_SPACE_RE = re.compile(r"\s+")
_LEADING_DASHES_RE = re.compile(r"^[\s\-–—:]+")


@dataclass(frozen=True, slots=True)
class TextNode:
    """One line of a tariff tree: its own text and the index of its parent node (None for a root)."""

    text: str
    parent: int | None


def clean_text(text: str | None) -> str:
    """Normalise a raw tariff text: TARIC's ``|`` (non-breaking space) and line breaks become spaces,
    leading dashes and a trailing colon go."""
    if not text:
        return ""
    text = _SPACE_RE.sub(" ", text.replace("|", " ")).strip()
    text = _LEADING_DASHES_RE.sub("", text)
    return text.rstrip(" :").strip()


def _key(text: str) -> str:
    return clean_text(text).rstrip(" .;,").lower()


def is_other(text: str, lang: str | None = None) -> bool:
    """True when ``text`` is a bare residual line ("Other", "autres", "기타"); any language if ``lang`` is None."""
    words = _OTHER_WORDS.get(lang, _ALL_OTHER_WORDS) if lang else _ALL_OTHER_WORDS
    return _key(text) in words


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` at a word boundary to at most ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:(")
    return cut + "…" + ")" * max(0, cut.count("(") - cut.count(")"))


def contextual_texts(nodes: Sequence[TextNode], lang: str = "en") -> list[str]:
    """Self-describing text of every node of a tree (see module docstring).

    Ancestors with an empty text are skipped (a level that a source does not describe in that
    language). Each node costs O(depth), so a whole schedule takes milliseconds.
    """
    children: dict[int | None, list[int]] = {}
    for index, node in enumerate(nodes):
        children.setdefault(node.parent, []).append(index)
    template = _EXCL_TEMPLATES.get(lang, _EXCL_TEMPLATES["en"])
    labels: list[str | None] = [None] * len(nodes)

    def label(index: int) -> str:
        """Own text, with the excluded siblings spelled out when it is a bare "Other"."""
        cached = labels[index]
        if cached is not None:
            return cached
        text = clean_text(nodes[index].text)
        if text and is_other(text, lang):
            siblings = [
                clean_text(nodes[s].text)
                for s in children.get(nodes[index].parent, ())
                if s != index and nodes[s].text and not is_other(nodes[s].text, lang)
            ]
            if siblings:
                items = [shorten(s, _MAX_SIBLING_CHARS) for s in siblings[:_MAX_SIBLINGS]]
                if len(siblings) > _MAX_SIBLINGS:
                    items.append("…")
                text = template.format(text=text, items="; ".join(items))
        labels[index] = text
        return text

    under = _UNDER.get(lang, _DEFAULT_UNDER)
    result: list[str] = []
    for index, node in enumerate(nodes):
        path: list[str] = []
        parent = node.parent
        while parent is not None:
            ancestor = label(parent)
            if ancestor and not is_other(ancestor, lang):  # a bare "Other" with no siblings says nothing
                path.append(shorten(ancestor, _MAX_ANCESTOR_CHARS))
            parent = nodes[parent].parent
        own, context = label(index), _PATH_SEP.join(reversed(path))
        result.append(f"{own}{under}{context}" if own and context else own or context)
    return result
