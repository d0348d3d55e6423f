// Progress on a terminal: one line redrawn in place on stderr, and nothing when stderr is not a TTY
// (logs and CI stay clean).

export interface Progress {
  update(done: number, detail?: string): void;
  finish(summary?: string): void;
}

export function terminalProgress(label: string, total: number, stream = process.stderr): Progress {
  const interactive = stream.isTTY === true;
  let lastDraw = 0;
  const started = Date.now();
  const draw = (done: number, detail = '') => {
    const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
    const elapsed = (Date.now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    stream.write(`\r\x1b[2K${label}: ${done}/${total} (${percent}%) ${rate.toFixed(0)} files/s ${detail}`);
  };
  return {
    update(done, detail) {
      if (!interactive) return;
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      draw(done, detail);
    },
    finish(summary) {
      if (interactive) stream.write('\r\x1b[2K');
      if (summary) stream.write(`${summary}\n`);
    },
  };
}
