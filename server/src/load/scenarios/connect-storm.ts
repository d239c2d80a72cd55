import { reportHeader, type LoadReport } from '../report.js';
import { Swarm } from '../swarm.js';
import type { RunContext } from '../run-context.js';
import { connectFigures } from './connect-figures.js';

/** Opens every connection (authenticated, greeted) as fast as the ramp allows; keeps them open to weigh them. */
export async function runConnectStorm(context: RunContext): Promise<LoadReport> {
  const { options } = context;
  const swarm = new Swarm(options, context.hubUrl);
  context.progress.start(() => `[connect-storm] ${swarm.connected().length}/${options.connections} connected`);
  try {
    const before = context.mark();
    const outcome = await swarm.connectAll(swarm.subscribers, context.deadline);
    // Let the server settle (greeting buffers, GC) before weighing the idle connections.
    await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, Math.max(0, context.timeLeftMs()))));
    const after = context.mark();
    if (outcome.failed > 0) context.problems.push(`${outcome.failed} of ${options.connections} connections failed`);
    const server = context.sampler && before && after
      ? { server: { ...context.sampler.summarise(before, after), ...(outcome.opened > 0 ? { rssPerConnectionBytes: Math.round((after.rssBytes - before.rssBytes) / outcome.opened) } : {}) } }
      : {};
    return {
      ...reportHeader(options, context.startedAt),
      connect: connectFigures(options.connections, outcome),
      ...server,
      problems: context.problems,
      ok: context.problems.length === 0,
    };
  } finally {
    context.progress.stop();
    await swarm.closeAll();
  }
}
