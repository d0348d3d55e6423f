// The Review page's sentences: where a held file came from, what became of an action, and the site's
// policy for files held for text in the picture. Plain words; never a value from a file.
import type { HeldActionResult, HeldFilePolicy, HeldQueueFile } from '../../../../shared/ipc/index.ts';

export const SOURCE_WORDS: Record<HeldQueueFile['source'], string> = {
  receiver: 'Received from a PACS or modality',
  'watched-folder': 'From the watched folder',
  import: 'Imported',
};

/** The choices of the held-file policy, for the Review page's form. */
export const POLICY_CHOICES: readonly { value: HeldFilePolicy; label: string; hint: string }[] = [
  {
    value: 'hold',
    label: 'Hold it here for a person',
    hint: 'Nothing is released until someone checks the picture.',
  },
  {
    value: 'clean-automatically',
    label: 'Clean it automatically',
    hint: 'RadFed covers the text it reads, reads the image again, and releases it if no patient details are left.',
  },
  {
    value: 'clean-and-ask',
    label: 'Clean it, then ask a person',
    hint: 'RadFed covers the text it reads; a person checks the cleaned picture before it is released.',
  },
];

export type ReviewAction = 'clean' | 'release-as-is' | 'delete';

export const ACTION_LABELS: Record<ReviewAction, string> = {
  clean: 'Clean and release',
  'release-as-is': 'Release as is',
  delete: 'Delete',
};

/** What the confirmation asks, per action. */
export const ACTION_QUESTIONS: Record<ReviewAction, { title: string; body: string; confirm: string }> = {
  clean: {
    title: 'Clean and release this image?',
    body: 'RadFed will cover the text it finds in the picture, read the image again to check that no patient detail is left, then de-identify it and add it to the research store. If any text is left, the image stays here.',
    confirm: 'Clean and release',
  },
  'release-as-is': {
    title: 'Release this image as it is?',
    body: 'Only release it if you have looked at the picture and it shows no patient details (name, ID, date of birth, hospital). It is then de-identified like every image and added to the research store. Your name is recorded in the audit log.',
    confirm: 'Release as is',
  },
  delete: {
    title: 'Delete this image?',
    body: 'The image is removed from this computer and will not be used. This cannot be undone; import it again if you need it later.',
    confirm: 'Delete',
  },
};

export function resultSentence(result: HeldActionResult): string {
  switch (result.outcome) {
    case 'released':
      return result.how === 'cleaned'
        ? 'The image was cleaned, de-identified and added to the research store.'
        : 'The image was de-identified and added to the research store.';
    case 'excluded':
      return `The image was not added: ${result.reason}. It was removed from this computer.`;
    case 'still-held':
      return `The image is still held: ${result.plainReason}`;
    case 'deleted':
      return 'The image was deleted.';
  }
}

/** The checker's name as typed: a sentence when it cannot be used, null when it can. */
export function nameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'Write the name of the person who checked the picture.';
  if (trimmed.length > 200) return 'A name has at most 200 characters.';
  return null;
}
