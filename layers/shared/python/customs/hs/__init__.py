"""HS 2022 nomenclature knowledge base (``customs.hs``) and national schedules below HS6
(``customs.hs.national``).

Typical use::

    from customs.hs import get_nomenclature
    hs = get_nomenclature()
    hs.description("8517.13")      # 'Telephone sets; smartphones for cellular or other wireless networks'
    hs.path("851713").text         # 'Machinery ... > Electrical machinery ... > Telephone sets ... > ...'
    hs.search("bicycle", limit=5)  # [SearchHit(code='8712', ...), ...]
"""

from customs.hs.codes import LEVELS, InvalidHsCode, UnknownHsCode, format_code, normalize_code
from customs.hs.nomenclature import HsEntry, HsPath, Nomenclature, SearchHit, Section, get_nomenclature

__all__ = [
    "LEVELS",
    "HsEntry",
    "HsPath",
    "InvalidHsCode",
    "Nomenclature",
    "SearchHit",
    "Section",
    "UnknownHsCode",
    "format_code",
    "get_nomenclature",
    "normalize_code",
]
