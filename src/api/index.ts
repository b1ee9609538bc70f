/** The Fastify interactive-query API: pull and push queries, the alert list, metrics, health. Empty for now. */
export {};
