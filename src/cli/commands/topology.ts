import { buildProbeTopology } from '../../probes/topology.js';
import { defineCommand } from '../command.js';

export const topologyCommand = defineCommand({
  name: 'topology',
  summary: 'Print the probe topology: sub-topologies, processors, stores and topics.',
  // The alert window adds a processor and a store: described as `start` would run it.
  settings: ['alertWindow'],
  async run({ settings, stdout }) {
    stdout.write(`${buildProbeTopology({ alertSuppressWindowMs: settings.alertWindow }).describe()}\n`);
    return 0;
  },
});
