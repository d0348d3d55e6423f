"""Reads synthetic DICOM files with pydicom for the synth tests (one process for a whole run).

stdin: JSON {"files": [paths], "ctCore": {x0,x1,y0,y1}, "radiographCore": {...}}
stdout: JSON list, one object per file: whether pydicom read it and decoded its pixels, what it saw,
a hash of the decoded pixels (little-endian bytes of the stored values), and the mean intensity in
the lung core boxes (CT in HU; radiographs in window units), so the tests can check the finding.
"""
import hashlib
import json
import sys

import numpy as np
import pydicom


def core_mean(values, box):
    rows, cols = values.shape
    def px(n, size):
        return int(round((n + 1) / 2 * size))
    y0, y1 = px(box["y0"], rows), px(box["y1"], rows)
    parts = []
    for sign in (1, -1):
        a, b = sorted((px(sign * box["x0"], cols), px(sign * box["x1"], cols)))
        parts.append(values[y0:y1, a:b].ravel())
    return float(np.concatenate(parts).mean())


def check(path, request):
    out = {"path": path}
    try:
        ds = pydicom.dcmread(path)
        pixels = ds.pixel_array
        out.update(
            ok=True,
            transferSyntax=str(ds.file_meta.TransferSyntaxUID),
            sopClass=str(ds.SOPClassUID),
            modality=str(ds.Modality),
            accession=str(ds.AccessionNumber),
            burnedIn=str(ds.BurnedInAnnotation) if "BurnedInAnnotation" in ds else None,
            shape=list(pixels.shape),
            dtype=pixels.dtype.name,
            pixelSha256=hashlib.sha256(pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()).hexdigest(),
        )
        values = pixels.astype(np.float64)
        if ds.Modality == "CT":
            hu = values * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
            out["coreMean"] = core_mean(hu, request["ctCore"])
        elif ds.Modality in ("DX", "CR"):
            centre, width = float(ds.WindowCenter), float(ds.WindowWidth)
            out["coreMean"] = core_mean((values - centre) / width, request["radiographCore"])
    except Exception as error:  # report, do not stop: the test names the file that failed
        out.update(ok=False, error=f"{type(error).__name__}: {error}")
    return out


def main():
    request = json.load(sys.stdin)
    json.dump([check(p, request) for p in request["files"]], sys.stdout)


main()
