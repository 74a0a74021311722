/**
 * `keygate dev` (`npm start`): loads the local demo from dist/dev, which a clone's build writes beside dist/src. The
 * demo and its dev identity provider stay out of the npm package and the image (issue 17), so an installed keygate
 * answers one line that says where the demo runs.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliIo } from './io.js';

/** The compiled demo, two levels above dist/src/cli; a computed specifier, so compiling src/ never needs dev/. */
const DEMO = new URL('../../dev/demo.js', import.meta.url);

/** What `keygate dev` answers where the demo is not built (an installed package or the image). */
export const NOT_IN_PACKAGE =
  'keygate dev: the local demo runs from a clone of keygate, not from an installed package: git clone https://github.com/keygate/keygate && cd keygate && npm install && npm start\n';

/** The demo module's entry point (dev/demo.ts). */
interface DemoModule {
  run(argv: string[], io: CliIo): Promise<number>;
}

function isDemoModule(mod: unknown): mod is DemoModule {
  return typeof mod === 'object' && mod !== null && 'run' in mod && typeof mod.run === 'function';
}

/** Runs the demo from a clone's build; elsewhere says where it runs, exit 1. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  if (!existsSync(fileURLToPath(DEMO))) {
    io.stderr(NOT_IN_PACKAGE);
    return 1;
  }
  const mod: unknown = await import(DEMO.href);
  if (!isDemoModule(mod)) throw new Error(`${fileURLToPath(DEMO)} does not export run()`);
  return mod.run(argv, io);
}
