// Progress on a terminal: one line redrawn in place on stderr, and nothing when stderr is not a TTY
// (logs and CI stay clean). A note (a file that failed, a folder that could not be read) is printed
// on its own line above the progress line, TTY or not.

export interface Progress {
  /** `total` replaces the total given at the start, for work whose size is known only once it runs. */
  update(done: number, detail?: string, total?: number): void;
  note(line: string): void;
  finish(summary?: string): void;
}

export function terminalProgress(label: string, total: number, stream = process.stderr): Progress {
  const interactive = stream.isTTY === true;
  let lastDraw = 0;
  let drawn = false;
  const started = Date.now();
  const draw = (done: number, detail = '') => {
    const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
    const elapsed = (Date.now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    stream.write(`\r\x1b[2K${label}: ${done}/${total} (${percent}%) ${rate.toFixed(0)} files/s ${detail}`);
    drawn = true;
  };
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    update(done, detail, newTotal) {
      if (newTotal !== undefined) total = newTotal;
      if (!interactive) return;
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      draw(done, detail);
    },
    note(line) {
      clear();
      stream.write(`${line}\n`);
    },
    finish(summary) {
      clear();
      if (summary) stream.write(`${summary}\n`);
    },
  };
}
