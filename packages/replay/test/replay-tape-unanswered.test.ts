import { expect, it } from 'vitest';
import { RecordingEndedError, replayTape } from '../src/testing/index.js';
import { makeEntry, makeTape } from '../../core/test/tape-fixtures.js';

// A worker's recording: it took a job, then waited on a long poll until Ctrl-C stopped it.
const job = makeEntry({ step: 1, method: 'GET', url: 'http://queue.test/job', responseBody: '{"job":42}' });
const poll = makeEntry({
  step: 2,
  method: 'POST',
  url: 'http://queue.test/poll',
  body: 'next?',
  response: { status: 0, headers: [], complete: false, error: 'no answer yet when SIGINT stopped the process', unanswered: { signal: 'SIGINT', signalAt: '2030-01-01T00:00:10.000Z' } },
});
delete (poll.response as { body?: unknown }).body;
const tape = makeTape([job, poll]);

it('stops the code under test where its recording ended by a signal, with an error that says so, and lets the next replay run', async () => {
  const done: string[] = [];
  const failed = await replayTape(tape, async () => {
    done.push(JSON.stringify(await (await fetch('http://queue.test/job')).json()));
    await fetch('http://queue.test/poll', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'next?' });
    done.push('never');
  }).catch((error: unknown) => error);
  expect(failed).toBeInstanceOf(RecordingEndedError);
  expect((failed as RecordingEndedError).code).toBe('TRACETAPE_RECORDING_ENDED');
  expect((failed as Error).message).toMatch(/SIGINT stopped the recorded process while this call waited/);
  expect(done).toEqual(['{"job":42}']);
  // Playback was switched off: another replay in the same file runs.
  const again = await replayTape(makeTape([job]), async () => (await fetch('http://queue.test/job')).status);
  expect(again.result).toBe(200);
});
