#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { openFileLimit } from './fd-limit.js';
import { LoadUsageError } from './loopback.js';
import { renderMarkdown } from './markdown-report.js';
import { HELP, parseLoadOptions } from './options.js';
import { RunContext } from './run-context.js';
import { runConnectStorm } from './scenarios/connect-storm.js';
import { runDeliveryScenario } from './scenarios/delivery.js';

async function main(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseLoadOptions(argv, openFileLimit());
  } catch (error) {
    if (!(error instanceof LoadUsageError)) throw error;
    console.error(`tradehub-load: ${error.message}`);
    return 2;
  }
  if (options === 'help') {
    console.log(HELP);
    return 0;
  }
  const context = new RunContext(options);
  // The hard cap: whatever a step waits for, the process ends by then.
  const hardStop = setTimeout(() => {
    console.error(`tradehub-load: stopped at --max-total ${options.maxTotal} s`);
    process.exit(1);
  }, options.maxTotal * 1000 + 15_000);
  hardStop.unref();
  try {
    const report = options.scenario === 'connect-storm' ? await runConnectStorm(context) : await runDeliveryScenario(context);
    const markdown = renderMarkdown(report);
    if (options.json) writeFileSync(options.json, JSON.stringify(report, null, 2) + '\n');
    if (options.markdown) writeFileSync(options.markdown, markdown);
    console.log(markdown);
    return report.ok ? 0 : 1;
  } catch (error) {
    console.error(`tradehub-load: ${(error as Error).message}`);
    return 1;
  } finally {
    context.finish();
  }
}

process.exitCode = await main(process.argv.slice(2));
// Sockets the scenario closed may linger in TIME_WAIT handshakes; the report is written, so leave.
setTimeout(() => process.exit(), 200).unref();
