// What detection and cleaning return. Boxes are in the stored image's pixel coordinates (columns,
// rows), never scaled. Recognised text stays inside AgentOnlyText, which refuses to be serialised
// or printed, so it cannot leak through JSON responses, logs or the console by accident.
import { inspect } from 'node:util';

export type BurnedInPolicy = 'identifying' | 'all-text';

export interface TextBox {
  x: number;
  y: number;
  width: number;
  height: number;
  /** 'ocr': text read in the pixels; 'rule': a known text area of this manufacturer and model. */
  source: 'ocr' | 'rule';
  /**
   * Whether the box is blanked under the policy asked for: its text matches an identifying value of
   * the file's own header, or the policy is 'all-text', or it is a rule's area (always blanked).
   */
  identifying: boolean;
}

/**
 * Recognised text per box index (one line per distinct reading), for the agent's own checks only:
 * never log, send or show it.
 */
export class AgentOnlyText {
  readonly #text = new Map<number, string>();
  set(box: number, text: string): void {
    this.#text.set(box, text);
  }
  get(box: number): string | undefined {
    return this.#text.get(box);
  }
  get size(): number {
    return this.#text.size;
  }
  toJSON(): string {
    return '[recognised text withheld]';
  }
  [inspect.custom](): string {
    return 'AgentOnlyText [recognised text withheld]';
  }
}

export interface BurnedInDetection {
  /** Image size in pixels (columns, rows). */
  width: number;
  height: number;
  boxes: TextBox[];
  counts: {
    /** Text boxes the OCR found. */
    text: number;
    /** Of those, the ones matching an identifying value of the header. */
    identifyingText: number;
    /** Areas from the manufacturer and model rules. */
    rule: number;
    /** Boxes blanked under the policy (those with `identifying` true). */
    toClean: number;
  };
  /** Agent-only: the text read in each OCR box (by index into `boxes`). */
  agentOnlyText: AgentOnlyText;
}

export type BurnedInCleaning =
  | {
      outcome: 'cleaned';
      /** The cleaned file; its header is still identified: the normal de-identification runs next. */
      dicom: Uint8Array;
      /** The boxes blanked (margin not included). */
      boxes: TextBox[];
      /** One plain sentence on what was done. */
      summary: string;
    }
  | {
      outcome: 'still-held';
      /** Plain words: why the file stays held. Never quotes recognised text or header values. */
      reason: string;
      boxes: TextBox[];
    };
