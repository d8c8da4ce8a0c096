/**
 * Under --then-live, playback and capture both run: a connection the tape does not hold is
 * numbered by playback (it is the k-th to its URL in the replayed run), then goes out for real and
 * is recorded by capture. Playback hands its number over, so the recording keys it as the replay
 * numbered it, and a replay of the continued run finds it. Capture and playback run in one thread:
 * the hand-over is taken synchronously by the capture that the live connect reaches.
 */
let handedOver: number | undefined;

/** Runs `connect` (which reaches capture synchronously) with the connection's number handed over. */
export function connectLive<T>(connection: number, connect: () => T): T {
  handedOver = connection;
  try {
    return connect();
  } finally {
    handedOver = undefined;
  }
}

/** The number playback gave the connection capture is recording now, if it gave one. */
export function takeHandedOverNumber(): number | undefined {
  const connection = handedOver;
  handedOver = undefined;
  return connection;
}
