#!/usr/bin/env -S node --min-semi-space-size=16
// A young generation of 16 MiB from the start rather than 1 MiB: the API's thread answers ~1,000 queries a
// second, and each scavenge of a small one pauses the answers due meanwhile (docs/performance.md, "The
// ksqlDB endpoint"): a quarter as many pauses took the p99 of a pull query by key from 11 ms to 2 ms.
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
