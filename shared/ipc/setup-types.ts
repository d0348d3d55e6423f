// What the setup wizard asks of the agent and learns from it (channels setup:*). Settings and sentences
// only; the enrollment token travels once, in setup:check-hub and setup:finish, and is never sent back.

export type SetupStage =
  /** No site in the folder yet: the wizard starts from the first step. */
  | 'new'
  /** A site exists but has no hub: the wizard continues at enrollment. */
  | 'not-enrolled'
  /** A site enrolled with a hub: the app opens on the dashboard. */
  | 'enrolled';

export interface SetupState {
  stage: SetupStage;
  /** Absolute path of the site folder. */
  directory: string;
  /** The site's current settings, to pre-fill the wizard; null before the site exists. */
  site: {
    name: string;
    consentPolicy: 'opt-in' | 'opt-out' | 'not-set';
    /** What the consent covers, as the consent form says; null: every use. */
    consentScope: string | null;
    deidOptions: string[];
    studies: StudiesSource;
    /** True once studies were imported: the de-identification options can no longer change. */
    hasStudies: boolean;
  } | null;
  hub: { url: string; name: string; siteName: string } | null;
  /** True when hospital IT preset the setup (docs/settings.md): the wizard is skipped. */
  preset: boolean;
  /** This computer's network addresses (not loopback), for IT configuring the PACS to send here. */
  networkAddresses: string[];
}

/** Where studies come from. Files can always be imported by hand; these add an automatic way. */
export type StudiesSource =
  | { kind: 'folder' }
  | { kind: 'watch'; folder: string }
  | { kind: 'receiver'; aeTitle: string; port: number; allowedCallingAeTitles: string[] };

export interface HubCheckRequest {
  /** The hub's address; default: the one the token carries. */
  url?: string;
  token: string;
  /** The name the site will enroll under: the hub says whether the token allows it. */
  siteName?: string;
}

export interface HubCheckResult {
  hubUrl: string;
  hubName: string;
  /** The HTTPS proxy the site goes through, or null. */
  viaProxy: string | null;
  /** When the token stops working (ISO time), as the hub said; null when the hub could not be asked. */
  expiresAt: string | null;
  /** What was checked, in words. */
  sentence: string;
}

export interface SetupRequest {
  siteName: string;
  /** Null: enroll later (the site works alone until then). */
  hub: HubCheckRequest | null;
  studies: StudiesSource;
  consentPolicy: 'opt-in' | 'opt-out';
  consentScope?: string;
  deidOptions: string[];
  /** The operator's name, recorded with every audit entry made from the screens. */
  operatorName?: string;
}

export interface SetupResult {
  state: SetupState;
  /** Sentences about what was done, for the wizard's last screen. */
  done: string[];
}

export interface DeviceReport {
  /** tensorflow, webgpu, wasm or cpu. */
  backend: string;
  /** "CPU via WebAssembly (SIMD, 2 threads)", "NVIDIA H200 via WebGPU (Vulkan)". */
  device: string;
  /** Each faster backend that was not used, with the reason. */
  notUsed: { backend: string; reason: string }[];
}
