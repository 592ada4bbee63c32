/**
 * `npm run demo`: the README's main job, end to end against a throwaway sandbox. The flow (sandbox → login →
 * init → provision → deploy) is assembled here as its pieces land; until then it says what is missing.
 */
process.stderr.write(
  [
    'projects demo: not built yet.',
    'The demo will start a throwaway sandbox, sign in, create a project from the worker template,',
    'buy a domain with a human approving in the web page, and deploy to a live URL.',
    'The sandbox orchestrator and providers it needs are still being built (issues 3, 4, 6, 7).',
    '',
  ].join('\n'),
);
process.exitCode = 1;
