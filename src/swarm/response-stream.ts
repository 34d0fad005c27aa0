// The answer as it streams in: partials are taken only from the first
// provider that streams, so two providers' text is never interleaved, and
// never more than the response bound (UTF-8 bytes) is kept.
export class ResponseStream {
  /** the provider whose partials are kept */
  provider: string | null = null;
  text = '';
  private bytes = 0;
  /** when the first token (or, failing that, the result) arrived */
  firstTokenAt: number | null = null;

  constructor(readonly maxBytes: number) {}

  /** 'over-bound': taking it would pass maxBytes (nothing is kept); 'ignored': another provider streams */
  add(provider: string, text: string): 'taken' | 'ignored' | 'over-bound' {
    if (this.provider === null) this.provider = provider;
    if (this.provider !== provider) return 'ignored';
    const bytes = Buffer.byteLength(text, 'utf8');
    if (this.bytes + bytes > this.maxBytes) return 'over-bound';
    this.bytes += bytes;
    this.firstTokenAt ??= Date.now();
    this.text += text;
    return 'taken';
  }

  /** a result may be longer than the bound too */
  fits(text: string): boolean {
    return Buffer.byteLength(text, 'utf8') <= this.maxBytes;
  }
}
