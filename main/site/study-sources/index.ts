// Where studies arrive on their own (DICOM receiver, watched folder), run as site.json configures them.
export {
  StudySources,
  type StudySourcesOptions,
  type StudySourcesPlan,
  type StudySourcesState,
} from './study-sources.ts';
export { describeReceiverEvent, describeWatchEvent } from './study-source-words.ts';
