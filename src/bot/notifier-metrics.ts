import { Counter, Registry } from 'prom-client';

export type RetryReason = 'rate_limited' | 'telegram_error' | 'network';

/** The alert notifier's counters, in a registry of its own (several notifiers may share a process). */
export class NotifierMetrics {
  readonly registry: Registry;
  /** Messages Telegram accepted, one per alert and chat. */
  readonly sent: Counter;
  /** Messages Telegram refused for good (400, 403): logged and skipped. */
  readonly rejected: Counter;
  /** Attempts that failed and were tried again, by why. */
  readonly retries: Counter<'reason'>;
  /** Records of the alerts topic that could not be read: logged, committed and skipped. */
  readonly unreadable: Counter;

  /** `registry`: where the counters go, e.g. one the API serves at /metrics. Default: a registry of its own. */
  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [this.registry];
    this.sent = new Counter({
      name: 'probestream_bot_alerts_sent_total',
      help: 'Alert messages Telegram accepted, one per alert and chat',
      registers,
    });
    this.rejected = new Counter({
      name: 'probestream_bot_alerts_rejected_total',
      help: 'Alert messages Telegram refused for good (400, 403), skipped without retry',
      registers,
    });
    this.retries = new Counter({
      name: 'probestream_bot_alerts_retried_total',
      help: 'Alert messages sent again after a failure, by reason (rate_limited, telegram_error, network)',
      labelNames: ['reason'],
      registers,
    });
    this.unreadable = new Counter({
      name: 'probestream_bot_alerts_unreadable_total',
      help: 'Records of the alerts topic that could not be read, skipped',
      registers,
    });
  }
}
