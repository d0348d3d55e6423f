// Which backend TensorFlow.js trains on, and a report in words of the device and of what was skipped.
export { BACKEND_CHOICES, describeBackend, selectBackend } from './select-backend.ts';
export type { BackendChoice, BackendName, BackendReport, SelectBackendOptions } from './select-backend.ts';
export { describeAdapter, dawnApi, probeDawn, vulkanLoaderPresent } from './webgpu-dawn.ts';
export type { DawnProbe } from './webgpu-dawn.ts';
/** TensorFlow.js with its gradients registered: every room of the engine imports tf from here. */
export * as tf from './tfjs.ts';
