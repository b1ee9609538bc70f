/** How a WorkerStreams runs its worker thread and what it mirrors to the calling thread. */
export interface WorkerStreamsOptions {
  /** The stores whose active copies are mirrored to this thread for key lookups; default: every store. */
  readonly mirroredStores?: readonly string[];
  /**
   * Added to the worker thread's nice value on Linux (elsewhere a nice value is the whole process's, and
   * it is left alone), so that this thread, which answers queries, gets a core first. Default 10; 0 keeps
   * the worker at this thread's priority.
   */
  readonly niceness?: number;
}
