import { describe, expect, it } from 'vitest';
import { findJargon } from './jargon.ts';

describe('findJargon', () => {
  it.each([
    ["ENOENT: no such file or directory, open '/home/ward/site/config.json'", 'system error code'],
    ['Could not open /tmp/radfed-1234/site.db', 'file path'],
    ['(The addon can not be found at path: /work/main/node_modules/x.node.)', 'file path'],
    ['Burned In Annotation (0028,0301) does not say NO', 'DICOM tag number'],
    ['Updates are masked with X25519 key agreement', 'key-exchange name'],
    ['Privacy loss 3.0e+3 (e^ε)', 'exponent notation'],
    ['Training on the GPU needs libvulkan', 'GPU library'],
    ['Preparing the tensor cache', 'internal term'],
    ['Round undefined of 20', 'internal term'],
    ['    at readFile (node:fs/promises:12:3)', 'stack frame'],
    ['Task task_c65baa6629993c7c round 1: open', 'raw task id'],
    ['Combined by 32532d974bdaba05b595ab9433de001f', 'raw id or hash'],
    [`Model ${'e3b0c442'.repeat(8)} verified`, 'raw id or hash'],
  ])('names the jargon in %j', (text, name) => {
    expect(findJargon(text).map((f) => f.name)).toContain(name);
  });

  it.each([
    'Files are de-identified on this computer before anything is stored.',
    'This is a screenshot or other capture: images like this often have patient details written into the picture itself.',
    'The folder does not exist. Check the name and try again.',
    'Round 7 of 20: 3 of 5 sites have sent their update (0.61 MB).',
    'Privacy budget: 2.5 of 8 spent.',
    'The hub at https://hub.example.org answered.',
    'Labels and/or consent: 6/12/2026, 1/2 of the sites.',
    'Round 2: waiting for Ash to send its masked update to Birch (deadbeef is a word, not an id).',
  ])('leaves plain words alone: %j', (text) => {
    expect(findJargon(text)).toEqual([]);
  });

  it('quotes the words around what it found', () => {
    expect(findJargon('Stopped: EACCES while saving')[0]?.excerpt).toBe('Stopped: EACCES while saving');
  });
});
