"""The file table of a model card (bytes and sha256 of each artifact), shared by the export
(scripts/train_classifier.py) and scripts/fit_confidence.py, which rewrites config.json afterwards."""

from __future__ import annotations

import hashlib
from pathlib import Path

CARD = "model_card.md"
TABLE_HEADER = "| file | bytes | sha256 |"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def artifact_files(folder: Path) -> tuple[list[Path], int]:
    """The model's files (not the card itself) and their total size in bytes."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != CARD)
    return files, sum(p.stat().st_size for p in files)


def file_table(folder: Path) -> list[str]:
    files, total = artifact_files(folder)
    return [TABLE_HEADER, "|---|---|---|", *(f"| {p.name} | {p.stat().st_size} | `{sha256(p)}` |" for p in files),
            "", f"Total: {total / 1e6:.2f} MB", ""]


def rewrite_card(folder: Path, replace_lines: dict[str, str]) -> None:
    """Replace (or add, before the file table) the card lines that start with each key, then redo the table."""
    lines = (folder / CARD).read_text(encoding="utf-8").splitlines()
    head = lines[: lines.index(TABLE_HEADER)] if TABLE_HEADER in lines else lines + [""]
    for prefix, new_line in replace_lines.items():
        at = next((i for i, line in enumerate(head) if line.startswith(prefix)), None)
        if at is None:
            at = len(head) - 1 if head and not head[-1] else len(head)
            head.insert(at, new_line)
        else:
            head[at] = new_line
    (folder / CARD).write_text("\n".join(head + file_table(folder)), encoding="utf-8")
