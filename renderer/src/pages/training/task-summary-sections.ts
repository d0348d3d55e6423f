// A hub task's summary lines (main/site/federation/task-summary.ts, the same lines `radfed site approve`
// prints) as the Training page shows them: the title, the task's facts, then one section per heading
// ("What leaves this site:", "How each patient is protected:"). Headings are the lines that are not
// indented. A line that starts with "Technical detail:" (dp-summary.ts) holds the numbers behind the
// plain words; the page folds it into a disclosure.

export interface SummarySection {
  /** The heading without its colon. */
  heading: string;
  /** Plain-words items, trimmed, without a list dash. */
  lines: string[];
  /** The numbers behind them, without the "Technical detail:" prefix. */
  technical: string[];
}

export interface SummaryParts {
  facts: string[];
  sections: SummarySection[];
}

const TECHNICAL_DETAIL = 'Technical detail:';

export function summaryParts(summary: readonly string[]): SummaryParts {
  const facts: string[] = [];
  const sections: SummarySection[] = [];
  // The first line is the task's title (the card shows the name itself).
  for (const line of summary.slice(1)) {
    if (!/^\s/.test(line)) {
      sections.push({ heading: line.trim().replace(/:$/, ''), lines: [], technical: [] });
      continue;
    }
    const text = line.trim().replace(/^- /, '');
    const section = sections.at(-1);
    if (!section) facts.push(text);
    else if (text.startsWith(TECHNICAL_DETAIL))
      section.technical.push(text.slice(TECHNICAL_DETAIL.length).trim());
    else section.lines.push(text);
  }
  return { facts, sections };
}
