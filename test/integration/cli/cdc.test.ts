import { describe, expect, inject, it } from 'vitest';
import { CliProcess } from '../../support/cli.js';
import { uniqueName } from '../../support/kafka.js';

describe('probestream cdc', () => {
  it('stops within 2 seconds of Ctrl-C while it follows the change streams', async () => {
    const cdc = new CliProcess(['cdc'], {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      MONGODB_URL: inject('mongodbUrl'),
      APPLICATION_ID: uniqueName('cdc-stop'),
      TOPIC_PARTITIONS: '2',
    });
    try {
      await cdc.waitForOutput(/CDC running \(change-streams\)/);
      // Idle for a while, as a CDC mostly is, so that the stop lands in a wait for MongoDB.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      const asked = Date.now();
      cdc.signal('SIGINT');
      const code = await cdc.exited;
      const took = Date.now() - asked;
      if (process.env.SHOW_CLI) console.log(cdc.stderr, took);
      expect(code).toBe(0);
      expect(cdc.stderr).toMatch(/CDC stopped: \d+ changes/);
      expect(took).toBeLessThan(2000);
    }
  });
});
