/** Where a command reads its input and writes its output: the process's streams, or a test's. */

/** Where a command reads its input and writes its output; tests pass their own. */
export interface ProgramIo {
  readStdin(): Promise<string>;
  writeStdout(text: string): Promise<void>;
  writeStderr(text: string): Promise<void>;
}

/** Reads all of stdin as UTF-8. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(text, (e) => (e ? reject(e) : resolve())));
}

/** The process's own stdin, stdout and stderr. */
export const processIo: ProgramIo = {
  readStdin: () => readAll(process.stdin),
  writeStdout: (text) => write(process.stdout, text),
  writeStderr: (text) => write(process.stderr, text),
};
