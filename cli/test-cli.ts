// For the command specs: runs `radfed …` through the real entry (main), capturing what it prints
// and its exit status.
import { vi } from 'vitest';
import { main } from './main.ts';

export async function runRadfed(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  try {
    const status = await main(args);
    return { status, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}
