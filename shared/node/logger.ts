// The one place a pino logger is made, for every process: the desktop app, the site agent, the site's
// web UI, the CLI's site commands and the hub. Each used to build its own with its own defaults; now
// they share the format (pino's JSON lines), the level rule and the two safety nets below.
//
// The safety nets, in case a log call passes more than it should (log-safety.ts states the rule):
// - `err` and `error` fields go through errorForLog: a foreign error's message (which may quote a path
//   or a value from the input) never reaches the line, only its class, code and stack frames;
// - fields whose name says they hold a path or a patient identifier are replaced by '[redacted]', at
//   the top of the line and one level down. The names come from what the code passes around (paths
//   of input files and folders, pseudonyms) and from the identifying attributes of PS3.15 Table E.1-1
//   (main/site/deid/data), written as DICOM keywords and as our camelCase names.
// Node-only (pino, node:fs): the renderer does not log through it.
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { errorForLog, loggableErrorText } from '../log-safety.ts';

/** The process a root logger belongs to; a line's `name` is `radfed-<room>`. */
export type LogRoom = 'app' | 'site' | 'site-ui' | 'hub' | 'cli';

/** Attributes of PS3.15 Table E.1-1 that identify a patient or a study, as DICOM keywords. */
export const IDENTIFYING_KEYWORDS = [
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientBirthName',
  'PatientAddress',
  'PatientTelephoneNumbers',
  'PatientMotherBirthName',
  'OtherPatientIDs',
  'OtherPatientNames',
  'IssuerOfPatientID',
  'MedicalRecordLocator',
  'AccessionNumber',
  'StudyID',
  'StudyInstanceUID',
  'SeriesInstanceUID',
  'SOPInstanceUID',
  'ReferringPhysicianName',
  'PerformingPhysicianName',
  'OperatorsName',
  'InstitutionName',
] as const;

/** Our own names for values that hold a path from the input or stand for one patient. */
const OWN_FIELDS = [
  'path',
  'paths',
  'filePath',
  'sourcePath',
  'inputPath',
  'source',
  'input',
  'folder',
  'directory',
  'fileName',
  'patientPseudonym',
  'pseudonym',
  'studyUid',
  'seriesUid',
  'sopUid',
];

/** PatientID → patientId, StudyInstanceUID → studyInstanceUid, SOPInstanceUID → sopInstanceUid. */
function camelCase(keyword: string): string {
  const words = keyword
    .replace(/UID/g, 'Uid')
    .replace(/ID(s?)$/, 'Id$1')
    .replace(/^SOP/, 'Sop');
  return words[0]!.toLowerCase() + words.slice(1);
}

/** Every field name the logger replaces, wherever it appears at the top level or one level down. */
export const REDACTED_FIELDS: readonly string[] = [
  ...new Set([...IDENTIFYING_KEYWORDS, ...IDENTIFYING_KEYWORDS.map(camelCase), ...OWN_FIELDS]),
];

const REDACT_PATHS = REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`]);

export interface RadfedLoggerOptions {
  room: LogRoom;
  /** The level when RADFED_LOG_LEVEL is not set: info, or quieter where the lines share a terminal. */
  defaultLevel?: Level | 'silent';
  /** 'stdout' (the default), 'stderr', a file (appended, readable by this user only), or a stream. */
  destination?: 'stdout' | 'stderr' | { file: string } | DestinationStream;
}

/** The root logger of a process. Hand rooms a child (`roomLogger`) rather than making another. */
export function createLogger(options: RadfedLoggerOptions): Logger {
  return pino(
    {
      name: `radfed-${options.room}`,
      level: process.env.RADFED_LOG_LEVEL ?? options.defaultLevel ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        err: errorForLog,
        error: (value: unknown) =>
          value === undefined
            ? undefined
            : typeof value === 'string'
              ? loggableErrorText(value)
              : errorForLog(value),
      },
    },
    destinationOf(options.destination ?? 'stdout'),
  );
}

/** A room's logger: the process's lines, each marked with the room (`ingest`, `receiver`, `ipc`…). */
export function roomLogger(parent: Logger, room: string): Logger {
  return parent.child({ room });
}

/** A logger that writes nothing, for callers that were given none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

function destinationOf(destination: NonNullable<RadfedLoggerOptions['destination']>): DestinationStream {
  if (destination === 'stdout') return pino.destination(1);
  if (destination === 'stderr') return pino.destination(2);
  if ('file' in destination) {
    mkdirSync(dirname(destination.file), { recursive: true, mode: 0o700 });
    // Synchronous writes: a command's last lines are in the file when it exits, even on an error.
    const stream = pino.destination({ dest: destination.file, sync: true, mode: 0o600 });
    chmodSync(destination.file, 0o600);
    return stream;
  }
  return destination;
}
