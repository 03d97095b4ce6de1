/** A JSON log line as the processes write it (pino). */
export interface LogLine {
  level: string;
  msg?: string;
  requestId?: string;
  context?: string;
  job?: { queue: string; name: string; id?: string };
  req?: { method: string; url: string; headers: Record<string, string> };
  res?: { statusCode: number };
  [key: string]: unknown;
}

/** The JSON lines of a process's output (other lines, e.g. the start-up banner, are skipped). */
export function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The lines written when a request finished. */
export function requestLines(output: string): LogLine[] {
  return logLines(output).filter((line) => line.msg === 'request completed' || line.msg === 'request errored');
}
