// A wake-up for loops that wait on several things at once (chunks arriving, buffers coming
// back, a sink draining): each waiter awaits the same promise, so any number of them adds
// no listeners.
/** Wakes every waiter at once. */
export class Signal {
  private wake!: () => void;
  private next = this.fresh();

  private fresh(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  notify(): void {
    const wake = this.wake;
    this.next = this.fresh();
    wake();
  }

  wait(): Promise<void> {
    return this.next;
  }
}
