"""Average the weights of classifier checkpoints of one lineage (a "model soup").

Checkpoints warm-started from one another (run A -> E -> F on the CPU -> G -> H on a GPU, docs/model.md) lie in one
basin of the loss, so the mean of their weights is a model of its own, often better than each of them on text unlike
the training text. Every floating-point tensor (encoder, the HS6/HS4/HS2 heads) is averaged; the result is a
checkpoint that `train_classifier.py --from-checkpoint` exports like any other. Whether a soup is served is decided
on the held-out calibration rows that the export measures (never on evaluation files).

    .venv-train/bin/python scripts/average_checkpoints.py --out build/classifier/soup.pt A.pt B.pt [C.pt ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

HEADS = ("W6", "W4", "W2")


def average(states: list[dict]) -> dict:
    """Element-wise mean of the checkpoints' float tensors; integer buffers are taken from the first one."""
    if not states:
        raise ValueError("no checkpoints to average")
    keys = set(states[0]["encoder"])
    for state in states[1:]:
        if set(state["encoder"]) != keys:
            raise ValueError("checkpoints of different architectures or vocabularies cannot be averaged")
    encoder = {}
    for name, tensor in states[0]["encoder"].items():
        if tensor.is_floating_point():
            encoder[name] = sum(s["encoder"][name].float() for s in states) / len(states)
        else:
            encoder[name] = tensor
    soup = {"encoder": encoder, "steps": states[-1].get("steps")}
    for head in HEADS:
        soup[head] = sum(s[head].float() for s in states) / len(states)
    return soup


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+", help="torch checkpoints written by train_classifier.py (--checkpoint)")
    ap.add_argument("--out", required=True, help="where the averaged checkpoint is written")
    args = ap.parse_args(argv)
    states = [torch.load(path, map_location="cpu", weights_only=False) for path in args.checkpoints]
    soup = average(states)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    torch.save(soup, args.out)
    print(f"[soup] {len(states)} checkpoints -> {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
