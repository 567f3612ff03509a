"""Rebuild ``digits.npz`` from the UCI copy shipped inside scikit-learn's wheel (run once, offline after).

    python -m pip download scikit-learn --no-deps -d /tmp/sk
    python course_lib/datasets/make_digits.py /tmp/sk/scikit_learn-*.whl

scikit-learn is NOT a dependency of the course: its wheel is only a convenient, versioned
copy of the 1,797-image test set of the UCI "Optical Recognition of Handwritten Digits"
data (``sklearn/datasets/data/digits.csv.gz``: 64 pixel counts 0..16, then the label, per
row). See DIGITS_LICENSE.txt for the source, licence (CC BY 4.0) and citation.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "sklearn/datasets/data/digits.csv.gz"
# sha256 of the member in scikit-learn 1.9.1 (the file has not changed in years).
SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


def main(wheel: str) -> None:
    raw = zipfile.ZipFile(wheel).read(MEMBER)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        print(f"warning: {MEMBER} has sha256 {digest}, expected {SHA256}")
    rows = np.loadtxt(io.StringIO(gzip.decompress(raw).decode("ascii")), delimiter=",", dtype=np.int64)
    images = rows[:, :64].reshape(-1, 8, 8).astype(np.uint8)  # row-major 8x8, values 0..16
    labels = rows[:, 64].astype(np.uint8)
    out = Path(__file__).with_name("digits.npz")
    np.savez_compressed(out, images=images, labels=labels)
    print(f"wrote {out}: images {images.shape}, labels {labels.shape}, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
