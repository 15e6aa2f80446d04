"""Self-describing texts of tariff lines."""

from customs.hs.text import TextNode, clean_text, contextual_texts, is_other, shorten


def _tree() -> list[TextNode]:
    return [
        TextNode("Live horses, asses, mules and hinnies", None),  # 0 heading
        TextNode("- Horses", 0),  # 1
        TextNode("- - Pure-bred breeding animals", 1),  # 2
        TextNode("- - Other:", 1),  # 3
        TextNode("- - - For slaughter", 3),  # 4
        TextNode("- - - Other", 3),  # 5
    ]


def test_other_lines_name_excluded_siblings_and_carry_parents() -> None:
    texts = contextual_texts(_tree(), "en")
    assert texts[0] == "Live horses, asses, mules and hinnies"
    assert texts[2] == "Pure-bred breeding animals — under: Live horses, asses, mules and hinnies > Horses"
    assert texts[5] == (
        "Other (excl. For slaughter) — under: Live horses, asses, mules and hinnies > Horses"
        " > Other (excl. Pure-bred breeding animals)"
    )


def test_language_templates_and_empty_ancestors() -> None:
    nodes = [TextNode("", None), TextNode("농가 사육용", 0), TextNode("기타", 0)]
    assert contextual_texts(nodes, "ko") == ["", "농가 사육용", "기타(농가 사육용 제외)"]
    nodes = [TextNode("Chevaux", None), TextNode("reproducteurs", 0), TextNode("autres", 0)]
    assert contextual_texts(nodes, "fr")[2] == "autres (à l'excl. de reproducteurs) — Chevaux"


def test_helpers() -> None:
    assert clean_text("- - - Of a weight not exceeding 80|kg:\n") == "Of a weight not exceeding 80 kg"
    assert is_other("Other:") and is_other("Los demás", "es") and is_other("기타") and not is_other("Other, frozen")
    cut = shorten("Telephone sets (including smartphones and other telephones for cellular networks)", 40)
    assert len(cut) <= 41 and cut.endswith("…)")
