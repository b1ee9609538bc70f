import { buildProbeTopology } from '../../probes/topology.js';
import { defineCommand } from '../command.js';

export const topologyCommand = defineCommand({
  name: 'topology',
  summary: 'Print the probe topology: sub-topologies, processors, stores and topics.',
  settings: [],
  async run({ stdout }) {
    stdout.write(`${buildProbeTopology().describe()}\n`);
    return 0;
  },
});
