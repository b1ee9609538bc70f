import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The API's own metrics (process and HTTP), in a registry of each server's own: prom-client's default
 * metrics may be collected once per registry, and tests run several servers in one process.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'probestream_' });
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'probestream_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'probestream_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its answer, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }

  /** Counts one answer; `route` is the route's pattern (`/devices/:mac/stats`), never the raw URL. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.requestDuration.observe(labels, seconds);
  }
}

/**
 * A registry to serve at /metrics: a prom-client Registry, or anything that renders Prometheus text and
 * names its metrics (the registry of an engine in a worker thread).
 */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
  metricNames(): readonly string[];
}

function sourceOf(registry: Registry | MetricsSource): MetricsSource {
  if ('metricNames' in registry) return registry;
  return {
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    metricNames: () =>
      // prom-client's metric classes keep their name in a field its types do not declare.
      registry.getMetricsAsArray().map((metric) => (metric as unknown as { name: string }).name),
  };
}

/**
 * Several registries served as one Prometheus text exposition. Unlike `Registry.merge`, each registry
 * renders its own metrics, so its default labels (the engine's `application_id`) are kept. Two registries
 * holding a metric of the same name would make an invalid exposition, so that is refused up front.
 */
export class MergedMetrics {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  readonly #sources: readonly MetricsSource[];

  constructor(registries: readonly (Registry | MetricsSource)[]) {
    const seen = new Set<string>();
    const sources = registries.map(sourceOf);
    for (const source of sources) {
      if (source.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) {
        throw new TypeError('metrics registries must use the Prometheus text format');
      }
      for (const name of source.metricNames()) {
        if (seen.has(name)) throw new TypeError(`the metric ${name} is in two of the registries to serve`);
        seen.add(name);
      }
    }
    this.#sources = sources;
  }

  async text(): Promise<string> {
    const texts = await Promise.all(this.#sources.map((source) => source.metrics()));
    return texts
      .map((text) => text.trim())
      .filter((text) => text.length > 0)
      .map((text) => `${text}\n`)
      .join('\n');
  }
}
