import type { Readable } from "node:stream";

export interface BatchLimits {
  /** The most messages in one batch. */
  readonly maxMessages: number;
  /**
   * How long a batch that is not full waits for more messages before it is handed on. Zero
   * hands on whatever is buffered at once.
   */
  readonly lingerMs: number;
}

/** Resolves when the stream has something to read or ends, or after `ms` when given. */
function readable(stream: Readable, ms?: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stream.off("readable", done).off("end", done).off("close", done).off("error", done);
      resolve();
    };
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    stream.on("readable", done).on("end", done).on("close", done).on("error", done);
  });
}

function drain<T>(stream: Readable, into: T[], max: number): void {
  while (into.length < max) {
    const message = stream.read() as T | null;
    if (message === null) return;
    into.push(message);
  }
}

/**
 * The messages of an object-mode stream in batches, in stream order: a batch holds what is
 * buffered, up to `maxMessages`; one that is not full waits up to `lingerMs` for more. When
 * messages arrive faster than they are handled, they pile up in the buffer during each batch,
 * so batches grow with load by themselves and stay single messages when idle.
 */
export async function* messageBatches<T>(stream: Readable, limits: BatchLimits): AsyncGenerator<T[]> {
  // Listening for "readable" before the first read() puts the stream in paused mode, as
  // Node's own async iterator does: a stream that fetches only once someone consumes it (the
  // Kafka client's) then starts, where a bare read() would find it not yet consumed.
  const consuming = () => {};
  stream.on("readable", consuming);
  try {
    yield* batchesOf<T>(stream, limits);
  } finally {
    stream.off("readable", consuming);
  }
}

async function* batchesOf<T>(stream: Readable, limits: BatchLimits): AsyncGenerator<T[]> {
  for (;;) {
    const batch: T[] = [];
    drain(stream, batch, limits.maxMessages);
    if (batch.length === 0) {
      if (stream.readableEnded || stream.destroyed) return;
      await readable(stream);
      continue;
    }
    const deadline = Date.now() + limits.lingerMs;
    while (batch.length < limits.maxMessages && Date.now() < deadline && !stream.readableEnded) {
      await readable(stream, deadline - Date.now());
      drain(stream, batch, limits.maxMessages);
    }
    yield batch;
  }
}
