#!/usr/bin/env -S node --min-semi-space-size=16 --max-semi-space-size=64
// A young generation that starts at 16 MiB and may grow to 64 (not 1 and 16): the API's thread answers
// ~1,000 queries a second, and each scavenge pauses the answers due meanwhile; a quarter as many took the
// p99 of a pull query by key from 11 ms to 2 ms (docs/performance.md, "The ksqlDB endpoint").
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
