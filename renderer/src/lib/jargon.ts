// Developer words that must not reach a radiographer's screen in the main text:
// system error codes, file paths, DICOM tag numbers, key-exchange names, exponent notation, GPU
// library names, stack frames. Such detail belongs behind a "Technical detail" disclosure (<details>).
// Used by the browser check of every page (e2e/plain-words.spec.ts) and kept here, pure, so it is
// tested on its own.

export interface JargonPattern {
  name: string;
  /** Source of a case-sensitive regular expression (sent into the page as text). */
  source: string;
}

export const JARGON_PATTERNS: readonly JargonPattern[] = [
  {
    name: 'system error code',
    source: String.raw`\b(?:ENOENT|EACCES|EPERM|EISDIR|ENOTDIR|ENOSPC|EEXIST|EBUSY|EMFILE|ECONNREFUSED|ECONNRESET|ETIMEDOUT)\b`,
  },
  // An absolute path of two or more folders (/work/site/x, C:\RadFed): not a URL's "//", not "and/or".
  { name: 'file path', source: String.raw`(?:^|[\s'"(=:])(?:/[\w.-]+/[\w.-]+|[A-Z]:\\)` },
  { name: 'DICOM tag number', source: String.raw`\([0-9A-Fa-f]{4},\s?[0-9A-Fa-f]{4}\)` },
  { name: 'key-exchange name', source: String.raw`\b(?:X25519|Ed25519|ECDH|HKDF)\b` },
  { name: 'exponent notation', source: String.raw`\d(?:\.\d+)?e[+-]\d` },
  { name: 'GPU library', source: String.raw`\blib(?:vulkan|cuda|cudnn|tensorflow)\b` },
  {
    name: 'internal term',
    source: String.raw`\btensor cache\b|\bundefined\b|\bnull\b|\bNaN\b|\[object Object\]`,
  },
  { name: 'raw task id', source: String.raw`\btask_[0-9a-f]{8,}\b` },
  // A key fingerprint (a swarm member's id, 32 hex digits) or a SHA-256 (a model's hash): for the
  // technical detail; people know members and models by name.
  { name: 'raw id or hash', source: String.raw`\b[0-9a-f]{32,}\b` },
  { name: 'stack frame', source: String.raw`\bat \S+ \(?\S+:\d+:\d+\)?` },
];

export interface JargonFinding {
  name: string;
  /** The words around the match, to find it on the page. */
  excerpt: string;
}

/** Every jargon pattern found in `text`, each with a short excerpt. */
export function findJargon(text: string): JargonFinding[] {
  const found: JargonFinding[] = [];
  for (const { name, source } of JARGON_PATTERNS) {
    const match = new RegExp(source).exec(text);
    if (!match) continue;
    const start = Math.max(0, match.index - 30);
    found.push({ name, excerpt: text.slice(start, match.index + match[0].length + 30).trim() });
  }
  return found;
}
