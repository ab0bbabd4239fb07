// Writing into a Writable by hand (the readers' `writeTo`): wait for room, notice when the
// receiving side goes away. One Signal wakes the writer on 'drain' and 'close', and on
// whatever else its owner notifies (a buffer coming back).
import type { Writable } from 'node:stream';
import { Signal } from './signal.js';

export class SinkClosedError extends Error {
  constructor() {
    super('the receiving side closed before the content was sent');
  }
}

export class SinkWatch {
  readonly changed = new Signal();
  private readonly notify = (): void => this.changed.notify();
  private readonly onClose = (): void => {
    this.changed.notify();
    this.closed?.();
  };

  /** `closed`: called when the sink closes (a reader stops its own wait with it). */
  constructor(
    private readonly sink: Writable,
    private readonly closed?: () => void,
  ) {
    sink.on('drain', this.notify).on('close', this.onClose);
  }

  get receiving(): boolean {
    return !this.sink.destroyed && !this.sink.closed;
  }

  /** Throws SinkClosedError once the sink is gone. */
  check(): void {
    if (!this.receiving) throw new SinkClosedError();
  }

  /** Waits until `ready()` holds or the sink is gone (then throws). */
  async until(ready: () => boolean): Promise<void> {
    while (!ready() && this.receiving) await this.changed.wait();
    this.check();
  }

  /** Waits until the sink has room for more (or throws when it is gone). */
  room(): Promise<void> {
    return this.until(() => !this.sink.writableNeedDrain);
  }

  dispose(): void {
    this.sink.off('drain', this.notify).off('close', this.onClose);
  }
}
