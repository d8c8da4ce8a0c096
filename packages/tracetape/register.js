// `node --import tracetape/register app.js`: importing the hook starts it (capture, or playback
// under `tracetape replay`); child processes and workers are handed @tracetape/register itself.
export * from '@tracetape/register';
