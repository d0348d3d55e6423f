// The watched folder: files dropped into it are ingested once complete, then taken out of it.
export { FolderWatcher, WatchError, type FolderWatcherOptions, type WatchEvent } from './folder-watcher.ts';
export { isInProgressName, SettleTracker, type FileObservation } from './settle-tracker.ts';
