#!/usr/bin/env bash
# Training on a lent GPU machine (PyTorch there; no base model, shared data or corpus): two runs of the same
# recipe side by side on the one GPU, from the pack of scripts/pack_device_training.py; the one with the
# better held-out HS6@1 (mean of the plain, catalogue-style and slip views of the held-out names) comes back in $OUT as fp16 shards.
# Usage (device): bash scripts/device_train.sh MINUTES [train_classifier.py options for both runs]   (carry build/device_pack)
#   e.g. `--heldout-keys data/splits/run_a_heldout_keys.txt.gz` keeps run A's held-out entries out of training, which a
#   warm start from run A needs (its checkpoint must travel too: fp16 it is ~40 MB, over what fits beside the 34 MB
#   repository in the 64 MiB a call may carry, so pack it as int8 rows in place of the base weights)
# Environment: PACK (default build/device_pack; a warm-start pack from `pack_device_training.py --init-from` works too)
#   and RUN_A_ARGS / RUN_B_ARGS, the two variants' own options (defaults: round 3's runs A and B).
set -uo pipefail
minutes=${1:-6}
shift || true
extra=("$@")
out=${OUT:-build/device_out}
mkdir -p "$out" /tmp/run_a /tmp/run_b
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
pack=${PACK:-build/device_pack}
read -r -a run_a_args <<<"${RUN_A_ARGS:---batch 256 --lr 1e-4 --catalog 0.1}"
read -r -a run_b_args <<<"${RUN_B_ARGS:---batch 128 --lr 8e-5 --catalog 0.2 --steps 15000}"
common=(--base-dir "$pack/base" --corpus "$pack/corpus.jsonl.gz" --shared-data "$pack/shared"
        --train-only --device "${DEVICE:-cuda}" --steps 20000 --max-minutes "$minutes" --train-max-len 48 --threads 4 --head-lr 3e-3 "${extra[@]}")
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
${PYTHON:-python3} scripts/train_classifier.py "${common[@]}" "${run_a_args[@]}" \
    --checkpoint /tmp/run_a/ckpt.pt --half-shards /tmp/run_a >"$out/run_a.log" 2>&1 &
pid_a=$!
${PYTHON:-python3} scripts/train_classifier.py "${common[@]}" "${run_b_args[@]}" \
    --checkpoint /tmp/run_b/ckpt.pt --half-shards /tmp/run_b >"$out/run_b.log" 2>&1 &
pid_b=$!
wait $pid_a; rc_a=$?
wait $pid_b; rc_b=$?
for run in a b; do
  echo "== run_$run"; tr '\r' '\n' <"$out/run_$run.log" | grep -v 'it/s\]\|s/it\]' | grep -v '^\s*$' | tail -6
done
${PYTHON:-python3} - "$out" <<'PY'
import json, shutil, sys
from pathlib import Path
out = Path(sys.argv[1])
scores = {}
for run in ("a", "b"):
    lines = [l for l in (out / f"run_{run}.log").read_text().splitlines() if l.startswith('{"heldout"')]
    if lines:
        h = json.loads(lines[-1])["heldout"]
        scores[run] = sum(h.values()) / len(h)  # plain, catalogue style and the slip view alike
print("scores", scores)
if not scores:
    raise SystemExit("no run finished")
best = max(scores, key=scores.get)
for shard in sorted(Path(f"/tmp/run_{best}").glob("ckpt.half.*")):
    shutil.copy(shard, out / shard.name)
print(json.dumps({"chosen": best, "scores": scores}))
PY
echo "rc_a=$rc_a rc_b=$rc_b"
