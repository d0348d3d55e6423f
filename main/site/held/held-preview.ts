// The preview of a held file: its picture rendered in the agent from the quarantined original
// (main/site/burned-in: windowed, scaled down, PNG). Pixels only: no header value travels with it, and
// it goes to the local screen alone (the Review page, or a file the command writes on this machine).
import type { HeldPreviewView } from '../../../shared/ipc/index.ts';
import { renderForDisplay } from '../burned-in/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import { heldRow, readHeldCopy } from './held-files.ts';

/** Longest side of the preview: large enough to read text in the picture, small enough to send quickly. */
export const PREVIEW_SIZE = 768;

export async function heldPreview(
  site: IngestSite,
  id: number,
  maxSize = PREVIEW_SIZE,
): Promise<{ png: Uint8Array; width: number; height: number }> {
  return renderForDisplay(await readHeldCopy(site, heldRow(site, id)), { maxSize });
}

/** The preview as the Review page receives it. */
export async function heldPreviewView(site: IngestSite, id: number): Promise<HeldPreviewView> {
  const { png, width, height } = await heldPreview(site, id);
  return { id, pngBase64: Buffer.from(png).toString('base64'), width, height };
}
