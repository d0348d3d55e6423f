#!/usr/bin/python3
"""Writes pydicom's pixel_array of each given DICOM file, for the decoder test: one JSON line per file
with the dtype and shape (or the reason pydicom could not decode it) and, beside it, the raw values
(little-endian) in <out>/<index>.bin. Colour JPEG stored as YCbCr is converted to RGB, as our JPEG
decoder does. Run with Debian's python (/usr/bin/python3), which has pydicom."""
import json, sys, warnings
import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import convert_color_space

JPEG_DCT = {'1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51'}

warnings.filterwarnings('ignore')
out = sys.argv[1]
for index, path in enumerate(sys.argv[2:]):
    record = {'index': index, 'path': path}
    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
        frames = int(ds.get('NumberOfFrames', 1) or 1)
        if frames > 1:
            arr = arr[0]
        photometric = str(ds.get('PhotometricInterpretation', ''))
        if ds.file_meta.TransferSyntaxUID in JPEG_DCT and photometric.startswith('YBR'):
            arr = convert_color_space(arr, 'YBR_FULL', 'RGB')
            record['converted'] = True
        arr = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder('<')))
        record.update(dtype=arr.dtype.name, shape=list(arr.shape))
        arr.tofile(f'{out}/{index}.bin')
    except Exception as error:  # noqa: BLE001 - any failure is reported, not raised
        record['error'] = type(error).__name__
    print(json.dumps(record), flush=True)
