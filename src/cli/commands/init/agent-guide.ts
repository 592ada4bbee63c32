/**
 * What `projects init` teaches coding agents: a short managed block in AGENTS.md pointing at a skill
 * file with the rules. The rules mirror the safety invariants (DESIGN.md §3–§4) from the agent's side.
 */
export const SKILL_PATH = '.agents/skills/projects/SKILL.md';

export function agentsBlock(): string {
  return `## projects (provisioning, payments, deploys)

This repository uses the \`projects\` CLI to provision services and deploy. Read \`${SKILL_PATH}\` before
using it. In short: always pass \`--json\`; never read \`.env\` or \`.projects/\`; when a command exits 4,
relay the approval to the human and wait; never retry a spend refusal (exit 5); start a run with a budget
before billable work.`;
}

export function skillFile(): string {
  return `---
name: projects
description: Provision services (domains, DNS, hosting, databases), pay for them within a budget and deploy, with the projects CLI. Use when the task needs a resource from a provider or a deployment.
---

# Using the \`projects\` CLI safely

A human is in charge of money, terms and production. You are not, and nothing you can do stands in for
them. These rules keep it that way.

## Always
- Pass \`--json\`. Read the one JSON document on stdout: \`ok\`, \`data\` or \`error.code\`, and \`next\` (the
  commands to run next, each with \`why\`). The exit code tells you the class of outcome.
- Start a run with a budget before billable work, and export it:
  \`export PROJECTS_RUN_ID=$(projects run start --budget 25)\` (the run id is its only output). End it with
  \`projects run end\` when the task is done.
- Discover before you buy: \`projects catalog --json\`, \`projects catalog show <provider/service> --json\`.
- Name exactly what the human asked for: \`projects provision edge/registrar:domain --name <exact name> --json\`.
  Never substitute another name, TLD or spelling, even if the exact one is unavailable: report it.
- Use \`--max-price <usd>\` when you know what the human agreed to pay.

## Never
- Never read, print, copy or commit \`.env\`, \`.env.*\` or anything under \`.projects/\`. Credentials are listed by
  name with \`projects env --json\`; the program that needs them gets them from the environment.
- Never retry a spend refusal (exit 5: \`BUDGET_EXCEEDED\`, \`CAP_EXCEEDED\`, \`VELOCITY_LIMITED\`,
  \`PAYMENT_DECLINED\`). Stop and tell the human what was refused and why.
- Never try to satisfy a human gate yourself: no flag, environment variable or file edit approves anything.
  Do not run \`projects approve\`, open approval pages, accept terms or enter payment details.
- Never edit \`projects.json\` to change policy or limits; policy lives at the orchestrator.
- Never ask on your own for a higher limit or auto-approve threshold (\`projects budget\`): a raise is a
  human gate. Lowering one is always allowed and applies at once. A paid purchase that goes through
  without an approval was pre-authorized by the human's auto-approve rule, and is audited as such.

## When a command needs a human (exit 4)
\`APPROVAL_REQUIRED\`, \`TOS_REQUIRED\`, \`PAYMENT_METHOD_REQUIRED\`, \`HUMAN_REQUIRED\`, \`LOOKALIKE_DOMAIN\`:
relay it to the human: tell them exactly what is asked (from \`error.message\` and \`error.details\`: the approval id and its URL,
the names asked and offered, the price) and the command for them from \`next\`. After they confirm they
have decided, rerun the same command: it continues where it stopped and never buys twice.

## Exit codes
0 ok · 1 error · 2 usage · 3 sign-in required (ask the human to run \`projects login\`) · 4 a human must act ·
5 spend refused (do not retry) · 6 frozen (stop all billable work) · 7 conflict (re-read state, do not
force) · 8 unavailable (retry later, a few times at most).
`;
}
