// One generator for src and tests: the synthetic captures and the tests' data share it.
export { seededRandom } from '../../src/capture/synthetic.js';
