import { describe, expect, it } from 'vitest';
import { nameProblem, resultSentence } from './review-words.ts';

describe('review words', () => {
  it('asks for the checker name beside the field when it is empty or too long', () => {
    expect(nameProblem('  ')).toMatch(/Write the name/);
    expect(nameProblem('x'.repeat(201))).toMatch(/at most 200/);
    expect(nameProblem('Ann Radiographer')).toBeNull();
  });

  it('says what became of each action in a sentence', () => {
    expect(resultSentence({ outcome: 'released', id: 1, how: 'cleaned' })).toMatch(/cleaned, de-identified/);
    expect(resultSentence({ outcome: 'deleted', id: 1 })).toBe('The image was deleted.');
    expect(
      resultSentence({ outcome: 'still-held', id: 1, plainReason: 'Text is left.', technicalReason: 'x' }),
    ).toBe('The image is still held: Text is left.');
  });
});
