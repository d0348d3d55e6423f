// Runs Debian's pydicom (an independent reader) over many files in one process.
import { execFileSync } from 'node:child_process';

export const DEBIAN_PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, sys, pydicom
out = {}
for path in json.load(sys.stdin):
    try:
        ds = pydicom.dcmread(path, force=False)
        out[path] = {"ok": True, "PatientName": str(ds.get("PatientName", "") or ""),
                     "PatientID": str(ds.get("PatientID", "") or ""),
                     "PatientIdentityRemoved": str(ds.get("PatientIdentityRemoved", "") or "")}
    except Exception as e:
        out[path] = {"ok": False, "error": type(e).__name__}
print(json.dumps(out))
`;

export interface PydicomReading {
  ok: boolean;
  PatientName?: string;
  PatientID?: string;
  PatientIdentityRemoved?: string;
  error?: string;
}

export function readWithPydicom(paths: readonly string[]): Record<string, PydicomReading> {
  const stdout = execFileSync(DEBIAN_PYTHON, ['-c', SCRIPT], {
    input: JSON.stringify(paths),
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout.toString()) as Record<string, PydicomReading>;
}
