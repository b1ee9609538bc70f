import { afterEach } from 'vitest';
import { type Topology, TopologyTestDriver } from '../../src/topology/index.js';

/** A test file's drivers: `drive(topology)` makes one (application id `app`), closed after each test. */
export function useTopologyTestDrivers(): (topology: Topology) => TopologyTestDriver {
  const drivers: TopologyTestDriver[] = [];
  afterEach(async () => {
    for (const driver of drivers.splice(0)) await driver.close();
  });
  return (topology) => {
    const driver = new TopologyTestDriver(topology, { applicationId: 'app' });
    drivers.push(driver);
    return driver;
  };
}
