import { DefaultHttpClient, NullLogger, type HttpRequest, type HttpResponse } from '@microsoft/signalr';

/** The official client's own HTTP client, recording how each poll (a GET) was answered and how long it took. */
export class PollRecorder extends DefaultHttpClient {
  readonly polls: Array<{ status: number; empty: boolean; tookMs: number }> = [];

  constructor() {
    super(NullLogger.instance);
  }

  override async send(request: HttpRequest): Promise<HttpResponse> {
    const sentAt = Date.now();
    const response = await super.send(request);
    if (request.method === 'GET') {
      const content = response.content;
      const empty = content === undefined || content === '' || (content instanceof ArrayBuffer && content.byteLength === 0);
      this.polls.push({ status: response.statusCode, empty, tookMs: Date.now() - sentAt });
    }
    return response;
  }
}
