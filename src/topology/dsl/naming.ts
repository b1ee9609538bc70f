/** Names DSL nodes the way Kafka Streams does (`KSTREAM-FILTER-0000000003`), so descriptions read alike. */
export class NodeNamer {
  #index = 0;

  next(prefix: string): string {
    return `${prefix}-${String(this.#index++).padStart(10, '0')}`;
  }
}
