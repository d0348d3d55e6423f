// The real DICOM test files that Debian's python3-pydicom ships, used as a corpus of odd but real input.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const PYDICOM_TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

/** Every file of the pydicom test set (recursively), sorted; empty when pydicom is not installed. */
export function pydicomTestFiles(): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile() && !/\.(py|pyc|txt|json|gz|bz2|zip|md|dump)$/i.test(name)) files.push(path);
    }
  };
  try {
    walk(PYDICOM_TEST_FILES);
  } catch {
    return [];
  }
  return files.sort();
}
