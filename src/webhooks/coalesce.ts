/**
 * Coalesces the calls made within one turn of the event loop into one call of `run`: one
 * statement for many rows instead of one each. Delivery workers start a fetched batch's
 * deliveries together, and receivers' answers arrive together under load, so the per-delivery
 * reads and writes mostly share statements (the store's round trips dominate delivery cost).
 * `run` answers one result per item, in order; if it throws, every caller of that call gets the error.
 * @internal
 */
export class Coalescer<In, Out> {
  private pending: { item: In; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly run: (items: In[]) => Promise<Out[]>,
    private readonly max = 200,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.max) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    this.run(batch.map((b) => b.item)).then(
      (outs) => batch.forEach((b, i) => b.resolve(outs[i])),
      (err) => batch.forEach((b) => b.reject(err)),
    );
  }
}
