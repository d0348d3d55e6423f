// The PS3.15 options a site may add to the Basic Profile, in plain words, for the setup wizard and
// Settings. Two of them are one choice (dates: removed, shifted or kept as they are: PS3.15 E.3.6 lets
// a site pick one), shown as a radio group; the others are independent. Options that keep more of what
// could identify a patient are marked `keeps`, with what they keep, so the screen can set them apart.

export interface DeidChoice {
  readonly name: string;
  readonly title: string;
  readonly explanation: string;
  /** What identifying information this keeps, in words; absent for options that only clean or keep safe data. */
  readonly keeps?: string;
}

export const DATE_CHOICES: readonly DeidChoice[] = [
  {
    name: 'retain-long-modified-dates',
    title: 'Keep dates, shifted per patient',
    explanation:
      'Dates move by the same secret number of days for each patient, so intervals between studies stay true.',
    keeps: 'Keeps the time between a patient\u2019s studies, and the season and weekday can be guessed.',
  },
  {
    name: 'retain-long-full-dates',
    title: 'Keep the real dates',
    explanation: 'Only when your ethics approval allows it: real dates are identifying.',
    keeps: 'Keeps the real study and birth dates, which can identify a patient together with other facts.',
  },
];

export const OTHER_CHOICES: readonly DeidChoice[] = [
  {
    name: 'clean-descriptors',
    title: 'Clean descriptions and comments',
    explanation:
      'Keeps study and series descriptions, but removes names and numbers found in them. Without it they are removed entirely.',
  },
  {
    name: 'clean-structured-content',
    title: 'Clean structured reports',
    explanation: 'Keeps structured reports (measurements, findings) with identifying text removed.',
  },
  {
    name: 'clean-graphics',
    title: 'Clean graphics and overlays',
    explanation: 'Keeps annotations drawn on images, with any text in them removed.',
  },
  {
    name: 'retain-patient-characteristics',
    title: 'Keep age, sex, height and weight',
    explanation: 'Useful for research on these factors.',
    keeps: 'Keeps age, sex, height and weight: with a rare finding they can point to one person.',
  },
  {
    name: 'retain-device-identity',
    title: 'Keep the scanner identity',
    explanation: 'Can matter for image quality research.',
    keeps: 'Keeps the scanner\u2019s make, model and serial number, which tell where a study was made.',
  },
  {
    name: 'retain-institution-identity',
    title: 'Keep the hospital identity',
    explanation: 'Useful when sites must be told apart in the images themselves.',
    keeps: 'Keeps the hospital\u2019s name and department in every image.',
  },
  {
    name: 'retain-uids',
    title: 'Keep the original UIDs',
    explanation: 'Lets a study be found again in your PACS.',
    keeps: 'Keeps study and image identifiers as in your PACS: anyone with PACS access can trace them back.',
  },
  {
    name: 'retain-safe-private',
    title: 'Keep safe private attributes',
    explanation: 'Keeps vendor-specific attributes known to hold no identity; all others are removed.',
  },
];

export const DEID_CHOICES: readonly DeidChoice[] = [...OTHER_CHOICES, ...DATE_CHOICES];

/** The dates radio group's value: '' when dates are removed (the Basic Profile). */
export type DateChoice = '' | 'retain-long-modified-dates' | 'retain-long-full-dates';

export function dateChoiceOf(options: readonly string[]): DateChoice {
  const found = DATE_CHOICES.find((choice) => options.includes(choice.name));
  return (found?.name ?? '') as DateChoice;
}

/** The options with the dates choice replaced: one date option at most, whatever was there before. */
export function withDateChoice(options: readonly string[], choice: DateChoice): string[] {
  const others = options.filter((o) => !DATE_CHOICES.some((d) => d.name === o));
  return choice === '' ? others : [...others, choice];
}
