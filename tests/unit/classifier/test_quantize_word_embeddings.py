"""4-bit word embeddings (scripts/quantize_word_embeddings.py): the packing that onnxruntime's GatherBlockQuantized reads."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))
from quantize_word_embeddings import quantize_rows_4bit  # noqa: E402


def test_two_codes_per_byte_low_half_first_with_zero_point_eight():
    table = np.array([[7.0, -7.0, 0.0, 3.5]], dtype=np.float32)
    packed, scales = quantize_rows_4bit(table, block=4)
    assert scales.shape == (1, 1) and np.isclose(scales[0, 0], 1.0)
    assert packed.tolist() == [[(15 | (1 << 4)), (8 | (12 << 4))]]  # 7 -> 15, -7 -> 1, 0 -> 8, 3.5 -> round(3.5)=4 -> 12


def test_rows_come_back_close_to_the_table():
    table = np.random.default_rng(0).normal(size=(100, 384)).astype(np.float32)
    packed, scales = quantize_rows_4bit(table, block=64)
    codes = np.empty((100, 384), dtype=np.int16)
    codes[:, 0::2], codes[:, 1::2] = packed & 0x0F, packed >> 4
    back = ((codes - 8).reshape(100, 6, 64) * scales[..., None]).reshape(100, 384)
    cosines = (back * table).sum(1) / np.linalg.norm(back, axis=1) / np.linalg.norm(table, axis=1)
    assert cosines.min() > 0.98


def test_the_block_must_divide_the_row():
    with pytest.raises(ValueError, match="block"):
        quantize_rows_4bit(np.zeros((2, 384), dtype=np.float32), block=100)
