import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpClient } from '../client/http.js';
import { type ProjectsPaths, resolvePaths } from '../core/paths.js';
import { Redactor } from '../core/redact.js';
import { type NextStep, ProjectsError } from '../protocol/errors.js';
import { colorEnabled, nonInteractiveReason } from './environment.js';
import type { IOStreams } from './io.js';
import { Output } from './output.js';
import { findProject, notInitialized, type ProjectRef } from './project.js';
import type { Prompter } from './prompt.js';

/** The global flags of DESIGN.md §5, as parsed. */
export interface GlobalOptions {
  json: boolean;
  yes: boolean;
  nonInteractive: boolean;
  orchestrator?: string | undefined;
  project?: string | undefined;
  token?: string | undefined;
  debug: boolean;
  color: boolean;
}

export const DEFAULT_GLOBALS: GlobalOptions = {
  json: false,
  yes: false,
  nonInteractive: false,
  debug: false,
  color: true,
};

/** The global flags from parsed option values, keyed as commander names them (`--no-color` → `color`). */
export function globalsFrom(values: Record<string, unknown>): GlobalOptions {
  return {
    json: Boolean(values.json),
    yes: Boolean(values.yes),
    nonInteractive: Boolean(values.nonInteractive),
    orchestrator: values.orchestrator as string | undefined,
    project: values.project as string | undefined,
    token: values.token as string | undefined,
    debug: Boolean(values.debug),
    color: values.color !== false,
  };
}

/**
 * Everything a command needs from the outside world, handed to its run function (the `gh` factory pattern).
 * Tests build one around fake streams and a temp PROJECTS_HOME; nothing here reads process globals.
 */
export class Factory {
  readonly output: Output;
  readonly redactor = new Redactor();
  readonly paths: ProjectsPaths;
  /** Why no human can be asked, or undefined when one can. */
  readonly nonInteractiveReason: string | undefined;
  private projectCache: ProjectRef | undefined | null = null;

  constructor(
    readonly io: IOStreams,
    readonly env: NodeJS.ProcessEnv,
    readonly cwd: string,
    readonly globals: GlobalOptions,
  ) {
    this.paths = resolvePaths(env);
    this.nonInteractiveReason = nonInteractiveReason(io, env, globals.nonInteractive);
    this.redactor.register(globals.token);
    this.redactor.register(env.PROJECTS_TOKEN);
    this.output = new Output(io, this.redactor, {
      json: globals.json,
      debug: globals.debug,
      color: {
        stdout: colorEnabled(io.stdoutIsTTY, env, globals.color),
        stderr: colorEnabled(io.stderrIsTTY, env, globals.color),
      },
    });
  }

  get interactive(): boolean {
    return this.nonInteractiveReason === undefined;
  }

  /**
   * The prompter, only when a human can answer. Otherwise the step fails at once with HUMAN_REQUIRED and the
   * commands that let a human finish it (S8: never hang).
   */
  async prompter(next: NextStep[] = []): Promise<Prompter> {
    if (this.nonInteractiveReason) {
      throw new ProjectsError(
        'HUMAN_REQUIRED',
        `this step needs a human at a terminal, but ${this.nonInteractiveReason}`,
        {
          details: { reason: this.nonInteractiveReason },
          next,
        },
      );
    }
    const { inquirerPrompter } = await import('./prompt.js');
    return inquirerPrompter(this.io);
  }

  project(): ProjectRef | undefined {
    if (this.projectCache === null) this.projectCache = findProject(this.cwd, this.globals.project);
    return this.projectCache;
  }

  requireProject(): ProjectRef {
    const project = this.project();
    if (!project) throw notInitialized(this.globals.project ?? this.cwd);
    return project;
  }

  /**
   * The orchestrator to talk to: --orchestrator > PROJECTS_ORCHESTRATOR_URL > projects.json > the user's
   * default (config.json) > the running local sandbox.
   */
  orchestratorUrl(): string | undefined {
    return (
      this.globals.orchestrator ??
      (this.env.PROJECTS_ORCHESTRATOR_URL || undefined) ??
      this.project()?.config.orchestrator ??
      this.readJson<{ orchestrator?: string }>(join(this.paths.configDir, 'config.json'))?.orchestrator ??
      this.readJson<{ url?: string }>(join(this.paths.sandboxDir, 'state.json'))?.url
    );
  }

  requireOrchestratorUrl(): string {
    const url = this.orchestratorUrl();
    if (!url) {
      throw new ProjectsError('NOT_INITIALIZED', 'no orchestrator is configured', {
        next: [
          { command: 'projects sandbox start', why: 'run the local sandbox orchestrator' },
          { command: 'projects login --orchestrator <url>', why: 'or sign in to another orchestrator' },
        ],
      });
    }
    return url;
  }

  /** An HTTP client whose --debug log and errors go through this command's redactor. */
  http(
    baseUrl: string,
    token?: string,
    unavailableCode?: 'ORCHESTRATOR_UNAVAILABLE' | 'PROVIDER_UNAVAILABLE',
  ): HttpClient {
    return new HttpClient({
      baseUrl,
      token,
      redactor: this.redactor,
      debug: (line) => this.output.debug(line),
      ...(unavailableCode ? { unavailableCode } : {}),
    });
  }

  private readJson<T>(file: string): T | undefined {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as T;
    } catch {
      return undefined;
    }
  }
}
