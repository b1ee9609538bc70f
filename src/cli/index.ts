/** The `probestream` command. */
export { main } from './program.js';
